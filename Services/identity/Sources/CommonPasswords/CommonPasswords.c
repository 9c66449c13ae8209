#include "CommonPasswords.h"

extern const unsigned char auth_common_passwords[];
extern const unsigned char auth_common_passwords_end[];

const unsigned char *auth_common_passwords_bytes(void) { return auth_common_passwords; }

size_t auth_common_passwords_length(void) { return (size_t)(auth_common_passwords_end - auth_common_passwords); }
