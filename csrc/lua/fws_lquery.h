/* Query strings in the form Fern's SDKs write them (their qs with arrayFormat "repeat"): objects
** nest as a[b][c]=v, lists repeat the key, empty objects and lists and nulls are left out, names
** and values are percent-encoded as encodeURIComponent does. Both ends: the client writes it, the
** server reads it back into typed values. */
#ifndef FWS_LQUERY_H
#define FWS_LQUERY_H

#include "lua/fws_lua.h"

/* Appends "name=value" strings for the value at vidx to the list at parts. t types it (object
** properties in the definition's order, map keys sorted) or is NULL (table keys sorted);
** multi: a list at vidx holds values of t (allow-multiple). Raises only on nesting past 32. */
void fws_lquery_write(lua_State *L, int parts, const char *name, int vidx, const fws_ct *t, int multi);

/* The same for each string key of the table at tidx as a name of its own, untyped, in sorted
** order (extra_query). */
void fws_lquery_write_keys(lua_State *L, int parts, int tidx);

/* Pushes the pairs {{name, value}, ...} of a query string (NULL: none), percent-decoded, in order. */
void fws_lquery_pairs(lua_State *L, const char *query);

/* Pushes parameter `name` read from the pairs at idx as t (nil when no pair names it): leaf texts
** converted by their type, brackets nesting objects and maps, repeated keys making lists (multi:
** of t). Returns 0, or -1 with the reason in why (names, never values) and nothing pushed. */
int fws_lquery_read(lua_State *L, int pairs, const char *name, const fws_ct *t, int multi, char *why,
                    size_t size);

/* The text at the top replaced by the value its type wants (a number, a boolean; for an
** undiscriminated union the first number or boolean member it reads as, else the first member that
** takes it); text that does not convert stays: the type check then says. */
void fws_ltext_convert(lua_State *L, const fws_ct *t);

#endif
