// The shipped password denylist (common-passwords.txt, written by scripts/gen-common-passwords)
// embedded as bytes by the assembler: data, compiled in no time, read once at start. The symbols
// are hidden: nothing outside the executable sees them.
#if defined(__APPLE__)
    .section __TEXT,__const
    .globl _auth_common_passwords, _auth_common_passwords_end
    .private_extern _auth_common_passwords, _auth_common_passwords_end
    .p2align 4
_auth_common_passwords:
    .incbin "common-passwords.txt"
_auth_common_passwords_end:
    .byte 0
#else
    .section .rodata
    .balign 16
    .globl auth_common_passwords, auth_common_passwords_end
    .hidden auth_common_passwords, auth_common_passwords_end
    .type auth_common_passwords, @object
auth_common_passwords:
    .incbin "common-passwords.txt"
auth_common_passwords_end:
    .byte 0
    .size auth_common_passwords, . - auth_common_passwords
    .section .note.GNU-stack,"",@progbits
#endif
