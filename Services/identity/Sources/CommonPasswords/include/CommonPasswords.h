#ifndef AUTH_COMMON_PASSWORDS_H
#define AUTH_COMMON_PASSWORDS_H

#include <stddef.h>

/// The shipped denylist: one lower-cased password a line (common-passwords.txt).
const unsigned char *auth_common_passwords_bytes(void);
/// Its length in bytes.
size_t auth_common_passwords_length(void);

#endif
