/* A YAML document as a tree of nodes that remember where they stand (libyaml events -> nodes). */
#ifndef FWS_YAML_H
#define FWS_YAML_H

#include <stddef.h>

#include "defn/fws_arena.h"
#include "defn/fws_diag.h"

typedef enum fws_node_kind { FWS_NODE_SCALAR, FWS_NODE_MAP, FWS_NODE_SEQ } fws_node_kind;

/* What a scalar means under the YAML 1.2 core schema (plain scalars only; quoted ones are strings). */
typedef enum fws_scalar_type {
  FWS_SCALAR_STRING, FWS_SCALAR_NULL, FWS_SCALAR_BOOL, FWS_SCALAR_INT, FWS_SCALAR_FLOAT
} fws_scalar_type;

typedef struct fws_node fws_node;
struct fws_node {
  fws_node_kind kind;
  fws_pos pos;
  /* scalar */
  const char *str;
  size_t len;
  fws_scalar_type stype;
  int plain;            /* unquoted */
  /* map: keys[i] / values[i]; seq: values[i] */
  size_t n;
  fws_node **keys;
  fws_node **values;
};

typedef struct fws_yaml_limits {
  size_t max_nodes;       /* nodes made, aliases counted by the size of what they repeat */
  size_t max_depth;
} fws_yaml_limits;

/* Parses one document (an empty file gives NULL without error). On a syntax error, reports it at
** its place and returns NULL. Every node is allocated in the arena; pos.file is `file`. */
fws_node *fws_yaml_parse(const char *text, size_t len, const char *file, fws_arena *arena,
                         fws_diags *diags, const fws_yaml_limits *limits);

/* Map look-up by key, NULL if absent or not a map. */
fws_node *fws_node_get(const fws_node *map, const char *key);
int fws_node_is(const fws_node *n, const char *s);
int fws_scalar_bool(const fws_node *n, int *out);

/* The node as JSON text (scalars by their YAML type), appended to *buf (malloc'ed, grown).
** Returns 0, or -1 when out of memory. */
int fws_node_to_json(const fws_node *n, char **buf, size_t *len, size_t *cap);

#endif
