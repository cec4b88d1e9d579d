/* What an error says a type expects, worded the same whether a value is encoded or decoded. */
#ifndef FWS_EXPECT_H
#define FWS_EXPECT_H

#include "types/fws_schema.h"
#include "types/fws_verr.h"

/* "an RFC 3339 date-time (2024-01-31T12:00:00Z)" for datetime, date, uuid, base64 and bigint; NULL
** for other types. */
const char *fws_expect_string(const fws_ct *t);
/* An enum's wire values, quoted, into l. */
void fws_expect_values(const fws_ct *t, fws_textlist *l);

#endif
