/*
** AsyncAPI 2.6 and 3.0 documents read into the model of a Fern Definition (fws_model.h), so that
** everything built on the model works unchanged. Split by concern:
**   fws_asyncapi_doc.c      finding the document, sibling files, $ref and JSON Pointer resolution
**   fws_asyncapi_schema.c   JSON Schema -> types
**   fws_asyncapi_channel.c  channels, operations, messages, parameters, examples
**   fws_asyncapi_server.c   servers -> environments, securitySchemes -> auth
*/
#ifndef FWS_ASYNCAPI_H
#define FWS_ASYNCAPI_H

#include "defn/fws_loader.h"

/* Called first by fws_load: when `path` is an AsyncAPI document (YAML or JSON), or a folder that
** holds one and no api.yml, loads it into ld->api (errors included) and returns 1; else 0. */
int fws_ld_asyncapi(fws_loader *ld, const char *path);

/* ---- shared by the fws_asyncapi_*.c files only ---- */

typedef struct fws_aa_doc {
  const char *path;       /* as opened, for messages */
  const char *dir;        /* its folder: relative $refs start here */
  fws_file *file;
  const fws_node *root;
} fws_aa_doc;

/* A node reached through $refs, with the document it is in (its own relative $refs start there). */
typedef struct fws_aa_at {
  const fws_node *node;
  const fws_aa_doc *doc;
} fws_aa_at;

/* A growable hash table in the arena, keyed by address or (strings = 1) by NUL-terminated text. */
typedef struct fws_aa_map {
  const void **keys;
  void **vals;
  size_t mask, n;
  int strings;
} fws_aa_map;

typedef struct fws_aa {
  fws_loader *ld;
  int version;            /* 2 or 3 */
  fws_aa_doc *main;
  fws_vec docs;           /* fws_aa_doc*: main first, then sibling files as $refs reach them */
  fws_aa_map decls;       /* schema node -> its declaration (component schemas, $ref targets) */
  fws_aa_map names;       /* declaration names in use -> their type */
  fws_vec decl_list;      /* every declaration made, in order (the main file's types) */
  fws_aa_map failed;      /* $ref texts (by address) already reported as failing */
  int depth;              /* schema nesting, bounded */
  int reversed;           /* 2.6: this document reads `publish` as what the server sends */
  struct fws_aa_server *servers;
  size_t nservers;
  int filtered;           /* some channel names its servers */
} fws_aa;

void *fws_aa_map_get(const fws_aa_map *m, const void *key);
void fws_aa_map_put(fws_aa *a, fws_aa_map *m, const void *key, void *val);

/* Follows n when it is {$ref: ...} (chains too), reporting a failure at the $ref; returns {NULL}
** on failure. `from` is the document n is in. */
fws_aa_at fws_aa_deref(fws_aa *a, fws_aa_at at);
/* Resolves a $ref text as written in `from`; reports at `where`. */
fws_aa_at fws_aa_resolve(fws_aa *a, const fws_aa_doc *from, const char *ref, fws_pos where);
/* The key a node has in its parent map `parent` (NULL if none) */
const char *fws_aa_key_in(const fws_node *parent, const fws_node *child);
/* A string at key (NULL when absent or not a string; an error when present but not a scalar). */
const char *fws_aa_str(fws_aa *a, const fws_node *map, const char *key);
/* Scalar text of a node that is a plain value, else NULL. */
const char *fws_aa_scalar(const fws_node *n);

/* JSON Schema -> type. `name` names a declaration made for it (a component schema, or a payload
** that wants a name), or NULL for an anonymous type. Never NULL. */
fws_type *fws_aa_schema(fws_aa *a, fws_aa_at schema, const char *name);
/* Every components/schemas entry of the main document as a declaration (so api:type finds them). */
void fws_aa_component_schemas(fws_aa *a);
/* A unique declaration name from a wanted one ("Foo", "Foo_0", ...), as Fern renames. */
const char *fws_aa_unique_name(fws_aa *a, const char *want);
/* Whether a schema says binary data (format: binary), through $refs. */
int fws_aa_is_binary_schema(fws_aa *a, fws_aa_at schema);
/* Through references and aliases to what a type is. */
const fws_type *fws_aa_underlying(const fws_type *t);
/* The object under `body` copied with its property `prop` the literal `value` (the declaration's
** name kept, for errors); NULL when body is no object. For messages that share one payload. */
fws_type *fws_aa_narrow(fws_aa *a, const fws_type *body, const char *prop, const char *value, fws_pos pos);
/* A Fern type string (x-fern-type) */
fws_type *fws_aa_fern_type(fws_aa *a, const fws_node *n);

/* Environments from servers; auth from securitySchemes. */
void fws_aa_servers(fws_aa *a);
/* The security requirements at `list` (a servers/operations `security` list) added to the api's auth;
** returns how many schemes it named. */
size_t fws_aa_security(fws_aa *a, const fws_aa_doc *doc, const fws_node *list);
void fws_aa_security_schemes(fws_aa *a);
/* A channel's server names (3.0 `servers` refs, 2.6 `servers` names) -> the channel's url id;
** returns 1 when the servers it uses (all, without a list) ask for security. */
int fws_aa_channel_servers(fws_aa *a, fws_channel *ch, const fws_node *servers);
/* After every channel is read: environments shaped by which channels each server serves. */
void fws_aa_finish_servers(fws_aa *a);

/* Channels and their messages. */
void fws_aa_channels(fws_aa *a);

#endif
