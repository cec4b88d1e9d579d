/*
** The resolved model of a Fern Definition: what its channels, types, environments and auth
** schemes mean, with every reference bound. No Lua here; csrc/types compiles it for speed.
*/
#ifndef FWS_MODEL_H
#define FWS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "defn/fws_arena.h"
#include "defn/fws_diag.h"
#include "defn/fws_strmap.h"
#include "defn/fws_yaml.h"

typedef enum fws_kind {
  FWS_K_PRIMITIVE,
  FWS_K_LIST,
  FWS_K_SET,
  FWS_K_MAP,
  FWS_K_OPTIONAL,
  FWS_K_NULLABLE,
  FWS_K_LITERAL,
  FWS_K_ALIAS,
  FWS_K_OBJECT,
  FWS_K_ENUM,
  FWS_K_UNION,
  FWS_K_UNDISCRIMINATED_UNION,
  FWS_K_UNKNOWN,
  FWS_K_REF           /* a named reference; after resolution `ref.target` is the declaration */
} fws_kind;

typedef enum fws_prim {
  FWS_P_STRING, FWS_P_INTEGER, FWS_P_LONG, FWS_P_UINT, FWS_P_UINT64, FWS_P_FLOAT, FWS_P_DOUBLE,
  FWS_P_BOOLEAN, FWS_P_DATETIME, FWS_P_DATE, FWS_P_UUID, FWS_P_BASE64, FWS_P_BIGINT
} fws_prim;

/* validation: the rules Fern allows on strings and numbers (and list/map sizes, newer Fern) */
typedef struct fws_rules {
  unsigned has_min_length : 1, has_max_length : 1, has_min : 1, has_max : 1, exclusive_min : 1,
      exclusive_max : 1, has_multiple_of : 1, has_min_items : 1, has_max_items : 1;
  uint64_t min_length, max_length, min_items, max_items;
  double min, max, multiple_of;
  const char *pattern;
  const char *format;
  fws_pos pos;
} fws_rules;

typedef struct fws_type fws_type;

typedef struct fws_prop {
  const char *name;       /* the wire name (the YAML key) */
  fws_type *type;
  const char *docs;
  const fws_node *default_value;
  fws_pos pos;
  const fws_type *owner;  /* the object (or union) that declares it, after flattening */
} fws_prop;

typedef struct fws_enum_value {
  const char *value;      /* on the wire */
  const char *name;       /* SDK name, or NULL */
  const char *docs;
  fws_pos pos;
} fws_enum_value;

typedef struct fws_variant {
  const char *value;      /* the discriminant's wire value (the union map key) */
  fws_type *type;         /* NULL for an empty `{}` variant */
  const char *key;        /* `key:` - the value sits under this property */
  const char *docs;
  const char *display_name;
  fws_pos pos;
  /* after resolution: 1 when the type is an object whose properties sit beside the discriminant */
  int flattened;
} fws_variant;

typedef struct fws_member {
  fws_type *type;
  const char *docs;
  const char *display_name;
  fws_pos pos;
} fws_member;

struct fws_type {
  fws_kind kind;
  fws_pos pos;
  const char *name;       /* declarations: qualified name ("empathic-voice.SessionSettings") */
  const char *short_name; /* declarations: the name in its file ("SessionSettings") */
  const char *docs;
  const fws_rules *rules; /* NULL, or the validation that applies here */
  const fws_node *examples;
  union {
    fws_prim prim;
    fws_type *elem;                               /* LIST SET OPTIONAL NULLABLE */
    struct { fws_type *key, *value; } map;
    struct { int is_bool; int b; const char *s; } literal;
    struct { const char *text; fws_type *target; const struct fws_file *file; } ref;
    struct { fws_type *target; } alias;
    struct {
      fws_prop *props; size_t nprops;             /* own */
      fws_type **extends; size_t nextends;
      int extra_properties;
      fws_prop **all; size_t nall;                /* flattened, extends first, after resolution */
    } object;
    struct { fws_enum_value *values; size_t nvalues; const char *default_value; } enumeration;
    struct {
      const char *discriminant;                   /* wire name, default "type" */
      fws_variant *variants; size_t nvariants;
      fws_prop *base; size_t nbase;               /* base-properties */
      fws_type **extends; size_t nextends;
      fws_prop **all_base; size_t nall_base;      /* base-properties with extends flattened */
    } un;
    struct { fws_member *members; size_t nmembers; } uu;
  } u;
  int resolving;          /* cycle detection */
  int resolved;
  int index;              /* position in fws_api.types for declarations, -1 otherwise */
};

/* A query parameter, header or path parameter. */
typedef struct fws_param {
  const char *name;       /* query key / header name / path placeholder */
  const char *sdk_name;   /* `name:` override, or NULL */
  fws_type *type;
  const char *docs;
  const fws_node *default_value;
  const char *env;        /* header env-var fallback */
  int required;           /* not optional/nullable (path params: always) */
  int allow_multiple;
  int deprecated;
  fws_pos pos;
} fws_param;

typedef enum fws_origin { FWS_ORIGIN_CLIENT, FWS_ORIGIN_SERVER } fws_origin;

typedef struct fws_message {
  const char *id;
  fws_origin origin;
  fws_type *body;
  const char *docs;
  const char *display_name;
  const char *method_name;
  int binary;             /* sent as binary frames (send_binary), delivered to its subscribers as bytes */
  fws_pos pos;
} fws_message;

typedef struct fws_example_message {
  const char *type;       /* the message id it names */
  const fws_message *message;
  const fws_node *body;
  fws_pos pos;
} fws_example_message;

typedef struct fws_example {
  const char *name;
  const char *docs;
  const fws_node *path_params, *query, *headers;
  fws_example_message *messages;
  size_t nmessages;
  fws_pos pos;
} fws_example;

typedef struct fws_channel {
  const char *name;       /* "empathic-voice.chat" */
  const char *file;
  const char *path;       /* "/v1/{voice_id}/stream" */
  const char *url;        /* id of an environment URL, or NULL */
  int auth;
  const char *docs;
  const char *display_name;
  fws_param *headers; size_t nheaders;
  fws_param *path_params; size_t npath_params;
  fws_param *query; size_t nquery;
  fws_message *messages; size_t nmessages;
  fws_example *examples; size_t nexamples;
  const char *auth_message_id;
  const char *auth_token_path;
  fws_pos pos;
  const struct fws_file *source;
} fws_channel;

typedef struct fws_env_url {
  const char *id;
  const char *url;
} fws_env_url;

typedef struct fws_environment {
  const char *name;
  const char *url;        /* single-URL environment, else NULL */
  fws_env_url *urls; size_t nurls;
  const char *docs;
  fws_pos pos;
} fws_environment;

typedef enum fws_auth_kind {
  FWS_AUTH_BEARER, FWS_AUTH_BASIC, FWS_AUTH_HEADER, FWS_AUTH_OAUTH, FWS_AUTH_INFERRED
} fws_auth_kind;

typedef struct fws_auth_scheme {
  const char *name;
  fws_auth_kind kind;
  const char *header;     /* HEADER: the header; OAUTH: token-header (default Authorization) */
  const char *query;      /* HEADER: the query parameter that carries it instead (AsyncAPI `in: query`) */
  const char *prefix;     /* HEADER: value prefix; OAUTH: token-prefix (default Bearer) */
  const char *sdk_name;   /* the option name: `name:` (header), token name (bearer), ... */
  const char *env;        /* env var for the token / header value */
  const char *username_name, *username_env, *password_name, *password_env;  /* BASIC */
  fws_type *type;         /* HEADER: the value type */
  const char *docs;
  fws_pos pos;
} fws_auth_scheme;

typedef struct fws_file {
  const char *path;       /* as opened, for messages */
  const char *rel;        /* relative to the definition root, '/'-separated */
  const char *package;    /* "empathic-voice.chat", or "empathic-voice" for __package__.yml, "" at the root */
  fws_node *root;
  struct { const char *alias; const struct fws_file *file; fws_pos pos; } *imports;
  size_t nimports;
  fws_type **types; size_t ntypes;   /* declared here */
  fws_strmap by_name;                /* short name -> declaration, for binding references */
  int is_api;             /* api.yml */
} fws_file;

typedef struct fws_api {
  fws_arena arena;
  fws_diags diags;
  const char *root;       /* folder path as given */
  const char *name;
  const char *display_name;
  const char *docs;
  const char *base_path;
  fws_auth_scheme **auth; size_t nauth;          /* the api-level `auth` (one, or `any` of several) */
  fws_auth_scheme *schemes; size_t nschemes;
  fws_param *headers; size_t nheaders;           /* global headers */
  fws_param *path_params; size_t npath_params;   /* api-level path parameters */
  fws_environment *environments; size_t nenvironments;
  const char *default_environment;
  const char *default_url;
  fws_file **files; size_t nfiles;
  fws_type **types; size_t ntypes;               /* every declaration, sorted by qualified name */
  fws_channel **channels; size_t nchannels;      /* sorted by name */
} fws_api;

typedef struct fws_load_opts {
  int lenient;            /* channel consistency problems (examples, path params) become warnings */
  int strict;             /* problems that only touch examples or docs are errors (fernws check);
                          ** by default they are warnings, so definitions load as vendors publish them */
  size_t max_file_size;   /* bytes; 0: 64 MiB */
  size_t max_files;       /* 0: 10000 */
} fws_load_opts;

/* Loads a definition folder (api.yml and every *.yml below it) or one channel file. Always returns
** a model (NULL only when out of memory); it is usable when api->diags.nerrors == 0. */
fws_api *fws_load(const char *path, const fws_load_opts *opts);
void fws_api_free(fws_api *api);

const fws_channel *fws_api_channel(const fws_api *api, const char *name);
/* Exact qualified name, else a unique short name. NULL with *ambiguous set when several match. */
const fws_type *fws_api_type(const fws_api *api, const char *name, int *ambiguous);

/* Follows aliases and references to the declaration or container underneath. */
const fws_type *fws_type_deref(const fws_type *t);
/* A short human text for a type: "optional<list<root.Foo>>" style, into buf. */
const char *fws_type_describe(const fws_type *t, char *buf, size_t size);
const char *fws_prim_name(fws_prim p);
const char *fws_kind_name(fws_kind k);

#endif
