/* Validation rules (minLength maxLength pattern format min max exclusiveMin exclusiveMax
** multipleOf minItems maxItems), every level of an alias chain applied. */
#ifndef FWS_RULES_H
#define FWS_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "types/fws_schema.h"
#include "types/fws_verr.h"

/* Each returns 1 when every rule holds, else adds the errors at path and returns 0. */
int fws_rules_string(const fws_crules *r, void *match_data, const char *s, size_t n, fws_verrs *e,
                     const fws_path *p);
int fws_rules_number(const fws_crules *r, double d, int is_int, int64_t i, fws_verrs *e, const fws_path *p);
int fws_rules_count(const fws_crules *r, size_t count, fws_verrs *e, const fws_path *p);

#endif
