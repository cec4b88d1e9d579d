/* Shared state of one fws_load() run, for the files of csrc/defn only. */
#ifndef FWS_LOADER_H
#define FWS_LOADER_H

#include <setjmp.h>

#include "defn/fws_model.h"

/* Bounds that keep hostile definitions from exhausting the stack (nothing real comes close). */
enum {
  FWS_MAX_ALIAS_CHAIN = 64,     /* A: B, B: C, ... */
  FWS_MAX_EXTENDS_DEPTH = 64,   /* A extends B extends C ... */
  FWS_MAX_TYPE_NESTING = 32     /* list<list<...>> */
};

typedef struct fws_loader {
  fws_api *api;
  fws_load_opts opts;
  jmp_buf oom;              /* allocation failure unwinds to fws_load */
  const fws_type *owner;    /* the declaration being read: its errors may become warnings */
  fws_vec owners;           /* parallel to api->diags.items: the owner of each diagnostic */
  fws_vec types;            /* every declaration, in reading order */
  fws_vec channels;
  fws_vec refs;             /* every FWS_K_REF made, to bind */
  fws_vec ref_owners;       /* parallel to refs: the declaration each appears in */
  fws_vec extending;        /* the objects whose extends are being flattened, outermost first */
} fws_loader;

void *fws_ld_alloc(fws_loader *ld, size_t size);
/* A whole file, malloc'd (the caller frees it); NULL with an error at pos naming it as shown when
** it cannot be opened or read or is over max_file_size; out of memory jumps to ld->oom. */
char *fws_ld_read_file(fws_loader *ld, const char *path, const char *shown, size_t *len, fws_pos pos);
char *fws_ld_strndup(fws_loader *ld, const char *s, size_t n);
char *fws_ld_str(fws_loader *ld, const fws_node *scalar);
void fws_ld_push(fws_loader *ld, fws_vec *v, void *item);
/* Records a reference to bind once every file is read. */
void fws_ld_add_ref(fws_loader *ld, fws_type *ref);

void fws_ld_error(fws_loader *ld, fws_pos pos, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void fws_ld_warn(fws_loader *ld, fws_pos pos, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Shape checks that report at the node: 1 when the node has the kind. */
int fws_ld_expect_map(fws_loader *ld, const fws_node *n, const char *what);
int fws_ld_expect_seq(fws_loader *ld, const fws_node *n, const char *what);
int fws_ld_expect_scalar(fws_loader *ld, const fws_node *n, const char *what);
/* An optional part at key: NULL when absent or empty (`headers:` with nothing after it), which
** the Fern CLI takes as absent too. */
const fws_node *fws_ld_section(const fws_node *map, const char *key);
/* Optional scalar string at key: NULL when absent (an error when present but not a scalar). */
const char *fws_ld_opt_str(fws_loader *ld, const fws_node *map, const char *key);
int fws_ld_opt_bool(fws_loader *ld, const fws_node *map, const char *key, int dflt);
/* Warns for each key of map not in the NULL-terminated list. */
void fws_ld_known_keys(fws_loader *ld, const fws_node *map, const char *what, const char *const *keys);

/* Type references: "optional<list<root.Foo>>" from a scalar node (reports its own errors; never
** returns NULL: a broken reference becomes FWS_K_UNKNOWN after its error). */
fws_type *fws_ld_typeref(fws_loader *ld, const fws_file *file, const fws_node *scalar);
/* A type reference given as a string or as {type, docs, default, validation, ...}. docs/default
** come back through the pointers when not NULL. */
fws_type *fws_ld_typeref_decl(fws_loader *ld, const fws_file *file, const fws_node *n, const char *what,
                              const char **docs, const fws_node **dflt, const char *const *extra_keys);
const fws_rules *fws_ld_rules(fws_loader *ld, const fws_node *validation);

/* headers / query / path parameters: name -> Type or {type, name, env, default, docs, ...} */
void fws_ld_params(fws_loader *ld, const fws_file *file, const fws_node *map, const char *what,
                   fws_param **out, size_t *nout);
/* Declarations of one file's `types:` map. */
void fws_ld_declarations(fws_loader *ld, fws_file *file);
/* api.yml */
void fws_ld_api_yml(fws_loader *ld, fws_file *file);
/* A file's `channel:`. */
void fws_ld_channel(fws_loader *ld, fws_file *file, const fws_node *channel);
/* Binds references, detects cycles, flattens extends, checks unions; then channel checks that need
** types; then turns errors in declarations no channel uses into warnings. */
void fws_ld_resolve(fws_loader *ld);

/* Edit distance (insertions, deletions, substitutions and swaps of neighbours; case ignored),
** capped at limit+1, for did-you-mean. */
size_t fws_edit_distance(const char *a, const char *b, size_t limit);
/* 1 when `candidate` is near enough to what was `typed` to suggest it (about one slip in three
** characters); *dist tells how near. */
int fws_is_near(const char *typed, const char *candidate, size_t *dist);
/* The candidate (NULL-terminated list) nearest to typed, if one is near; else NULL. */
const char *fws_nearest(const char *typed, const char *const *candidates);

#endif
