/*
** The model's types compiled for speed: aliases collapsed, references bound, property and enum
** hash tables, one synthetic object per discriminated-union variant, and dispatch tables for
** undiscriminated unions and for a channel's messages.
*/
#ifndef FWS_SCHEMA_H
#define FWS_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "defn/fws_model.h"

typedef enum fws_op {
  FWS_OP_STRING, FWS_OP_INT32, FWS_OP_INT64, FWS_OP_UINT32, FWS_OP_UINT64, FWS_OP_DOUBLE, FWS_OP_BOOL,
  FWS_OP_DATETIME, FWS_OP_DATE, FWS_OP_UUID, FWS_OP_BASE64, FWS_OP_BIGINT, FWS_OP_UNKNOWN,
  FWS_OP_LIST, FWS_OP_SET, FWS_OP_MAP, FWS_OP_OPTIONAL, FWS_OP_NULLABLE,
  FWS_OP_LITERAL_STRING, FWS_OP_LITERAL_BOOL, FWS_OP_OBJECT, FWS_OP_ENUM, FWS_OP_UNION, FWS_OP_UUNION
} fws_op;

typedef struct fws_ct fws_ct;

/* Open-addressing table from a string to a small index. */
typedef struct fws_strhash {
  uint32_t mask;        /* size - 1; size a power of two, at least twice the entries */
  int32_t *slots;       /* index, or -1 */
} fws_strhash;

typedef struct fws_crules {
  const fws_rules *r;
  void *re;             /* pcre2_code*, when r->pattern */
  const struct fws_crules *next;  /* an alias of an alias: every level's rules apply */
} fws_crules;

enum { FWS_JKEY_COPY = 16 };
typedef struct fws_cprop {
  const char *name;
  size_t len;
  const char *jkey;     /* "name": as JSON, ready to copy; at least FWS_JKEY_COPY bytes of memory */
  size_t jkeylen;
  const fws_ct *type;
  uint8_t required;     /* not optional */
  uint8_t literal;      /* a literal the encoder writes when the value leaves it out */
  /* the name as a Lua string that the codec keeps alive (ctx->anchor_ref), by its lua_topointer
  ** address, learnt on first use: a key that is this object is this property, with no hashing
  ** (short Lua strings are interned, so every key spelt so is it) */
  const void *lkey;
  int lref;             /* the same string's index in the anchor table (0: not learnt yet) */
} fws_cprop;

/* A choice among types (undiscriminated-union members, or a channel's messages). */
typedef struct fws_choice {
  const fws_ct *type;
  const char *variant;  /* what info.variant says (NULL for a message whose body type has no name) */
  const char *name;     /* what errors call it: the member's name, or the message id; never NULL */
  int tag;              /* member or message index */
} fws_choice;

typedef struct fws_dispatch {
  fws_choice *choices;
  uint32_t n;
  /* Fast path: a property that holds a literal string in most choices ("type"). */
  const char *key;
  size_t keylen;
  const char **values;  /* distinct literal values */
  size_t *vlens;
  uint32_t nvalues;
  fws_strhash vhash;
  uint32_t **cands;     /* per value: choices to try, in declaration order */
  uint32_t *ncands;
  uint32_t *fallback;   /* choices without the literal: tried when the key is absent or unknown */
  uint32_t nfallback;
} fws_dispatch;

struct fws_ct {
  fws_op op;
  uint8_t complete;     /* filled in (compilation of recursive types hands out nodes early) */
  const char *label;    /* what an error says was expected: "string", "object SessionSettings" */
  const char *variant;  /* a declaration's short name, for info.variant */
  const fws_crules *rules;
  union {
    const fws_ct *elem;                                     /* LIST SET OPTIONAL NULLABLE */
    struct { const fws_ct *key, *value; } map;
    struct { const char *s; size_t len; int b; } lit;
    struct {
      fws_cprop *props;
      uint32_t n, nrequired;
      fws_strhash hash;
      uint8_t extra;      /* extra-properties: true */
    } obj;
    struct { const char **values; size_t *lens; uint32_t n; fws_strhash hash; } en;
    struct {
      const char *disc;
      size_t disclen;
      const fws_ct **variants;   /* synthetic objects: discriminant + base + the variant's shape */
      const char **values;
      size_t *vlens;
      uint32_t n;
      fws_strhash hash;
    } un;
    fws_dispatch uu;
  } u;
};

typedef struct fws_cmessage {
  const char *id;
  int origin;           /* fws_origin */
  const fws_ct *type;
} fws_cmessage;

typedef struct fws_cchannel {
  fws_cmessage *messages;
  uint32_t nmessages;
  const fws_ct **query;         /* per channel->query[i] */
  const fws_ct **path_params;   /* per channel->path_params[i] */
  const fws_ct **headers;       /* per channel->headers[i] */
  fws_dispatch server;  /* decoding what a server sends */
  fws_dispatch client;  /* decoding what a client sends (the server side) */
} fws_cchannel;

typedef struct fws_schema {
  fws_arena arena;
  const fws_api *api;
  const fws_ct **decls;         /* per api->types index */
  fws_cchannel *channels;       /* per api->channels index */
  const fws_ct **api_headers;   /* per api->headers[i] */
  const fws_ct **scheme_types;  /* per api->schemes[i] (header schemes), or NULL */
  void *match_data;             /* pcre2_match_data, shared (one Lua state, one thread) */
  void **regexes;               /* every compiled pattern, to free */
  size_t nregexes, capregexes;
} fws_schema;

/* Compiles every declaration and channel of a loaded api (no errors). Pattern rules that do not
** compile are added to api->diags as errors; NULL only when out of memory. */
fws_schema *fws_schema_compile(fws_api *api);
void fws_schema_free(fws_schema *s);

/* Compiles a type of the model that is not a declaration (a message body, a parameter). */
const fws_ct *fws_schema_type(fws_schema *s, const fws_type *t);

/* Hash look-up: the index, or -1. */
int32_t fws_strhash_find(const fws_strhash *h, const char *const *keys, const size_t *lens, const char *s,
                         size_t len);
int32_t fws_prop_find(const fws_ct *obj, const char *s, size_t len);
uint32_t fws_hash_bytes(const char *s, size_t len);

#endif
