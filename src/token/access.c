/* The session x object access matrix of PKCS#11 (section 5.4 / table 9),
 * written out as data: what a session in each state may do to public and
 * private, session and token objects. */
#include "token-impl.h"

enum { ACCESS_READ = 1, ACCESS_WRITE = 2 };

typedef struct access_row {
    CK_STATE state;
    unsigned char public_session, private_session, public_token, private_token;
} access_row;

static const access_row matrix[] = {
    /* state                 public/session    private/session    public/token   private/token */
    {CKS_RO_PUBLIC_SESSION, ACCESS_READ | ACCESS_WRITE, 0, ACCESS_READ, 0},
    {CKS_RW_PUBLIC_SESSION, ACCESS_READ | ACCESS_WRITE, 0, ACCESS_READ | ACCESS_WRITE, 0},
    {CKS_RO_USER_FUNCTIONS, ACCESS_READ | ACCESS_WRITE, ACCESS_READ | ACCESS_WRITE, ACCESS_READ,
     ACCESS_READ},
    {CKS_RW_USER_FUNCTIONS, ACCESS_READ | ACCESS_WRITE, ACCESS_READ | ACCESS_WRITE,
     ACCESS_READ | ACCESS_WRITE, ACCESS_READ | ACCESS_WRITE},
    {CKS_RW_SO_FUNCTIONS, ACCESS_READ | ACCESS_WRITE, 0, ACCESS_READ | ACCESS_WRITE, 0},
};

static unsigned rights(const tsr_session *s, bool is_token, bool is_private)
{
    CK_STATE state = tsr_session_state(s);

    for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
        const access_row *r = &matrix[i];
        if (r->state != state)
            continue;
        if (is_token)
            return is_private ? r->private_token : r->public_token;
        return is_private ? r->private_session : r->public_session;
    }
    return 0;
}

bool tsr_access_visible(const tsr_session *s, const tsr_object *o)
{
    return (rights(s, o->is_token, o->is_private) & ACCESS_READ) != 0;
}

CK_RV tsr_access_write(const tsr_session *s, bool is_token, bool is_private)
{
    if (rights(s, is_token, is_private) & ACCESS_WRITE)
        return CKR_OK;
    /* Tell the caller what would help: logging in, or a R/W session. */
    if (is_private && s->token->login != TSR_LOGIN_USER)
        return CKR_USER_NOT_LOGGED_IN;
    return CKR_SESSION_READ_ONLY;
}
