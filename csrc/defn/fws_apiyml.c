/* api.yml: name, environments, auth schemes, global headers. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "defn/fws_loader.h"

static const char *const api_keys[] = {
    "name", "display-name", "docs", "auth", "auth-schemes", "headers", "environments",
    "default-environment", "default-url", "base-path", "path-parameters", "idempotency-headers",
    "variables", "error-discrimination", "errors", "audiences", "pagination", "version", "product",
    "imports", "availability", "retries", "query-parameters", NULL};

/* A header or parameter declared as `Type` or {type, name, env, default, docs, ...}. */
static void read_param(fws_loader *ld, const fws_file *file, const fws_node *key, const fws_node *v,
                       fws_param *p, const char *what) {
  static const char *const keys[] = {"type", "name", "env", "default", "docs", "availability",
                                     "audiences", "validation", "encoding", "allow-multiple", NULL};
  p->name = key->str;
  p->pos = key->pos;
  char w[160];
  snprintf(w, sizeof w, "%s '%.100s'", what, key->str);
  if (v->kind == FWS_NODE_MAP) {
    fws_ld_known_keys(ld, v, w, keys);
    p->sdk_name = fws_ld_opt_str(ld, v, "name");
    p->env = fws_ld_opt_str(ld, v, "env");
    p->allow_multiple = fws_ld_opt_bool(ld, v, "allow-multiple", 0);
    const char *avail = fws_ld_opt_str(ld, v, "availability");
    p->deprecated = avail && strcmp(avail, "deprecated") == 0;
    p->type = fws_ld_typeref_decl(ld, file, v, w, &p->docs, &p->default_value, keys);
  } else {
    p->type = fws_ld_typeref_decl(ld, file, v, w, NULL, NULL, NULL);
  }
  /* required unless optional/nullable: resolution may refine through aliases */
  p->required = !(p->type->kind == FWS_K_OPTIONAL || p->type->kind == FWS_K_NULLABLE);
}

void fws_ld_params(fws_loader *ld, const fws_file *file, const fws_node *map, const char *what,
                   fws_param **out, size_t *nout) {
  char w[96];
  snprintf(w, sizeof w, "'%s'", what);
  if (!map || !fws_ld_expect_map(ld, map, w)) return;
  *out = fws_ld_alloc(ld, (map->n ? map->n : 1) * sizeof **out);
  for (size_t i = 0; i < map->n; i++) {
    fws_param *p = &(*out)[(*nout)++];
    read_param(ld, file, map->keys[i], map->values[i], p, what);
  }
}

/* Fern wants every multi-URL environment to have the same URL ids. A channel naming an id that
** one environment lacks cannot connect there (endpoint() says so): a warning, once per id. */
static void check_url_ids(fws_loader *ld, fws_api *api) {
  size_t nmulti = 0, total = 0, warned = 0;
  for (size_t i = 0; i < api->nenvironments; i++)
    if (api->environments[i].nurls) nmulti++, total += api->environments[i].nurls;
  if (nmulti < 2) return;
  fws_strmap *own = fws_ld_alloc(ld, api->nenvironments * sizeof *own);
  fws_strmap counts;
  if (fws_strmap_init(&counts, &ld->api->arena, total)) longjmp(ld->oom, 1);
  size_t *count = fws_ld_alloc(ld, total * sizeof *count), next = 0;
  for (size_t i = 0; i < api->nenvironments; i++) {
    const fws_environment *e = &api->environments[i];
    if (!e->nurls) continue;
    if (fws_strmap_init(&own[i], &ld->api->arena, e->nurls)) longjmp(ld->oom, 1);
    for (size_t j = 0; j < e->nurls; j++) {
      fws_strmap_put(&own[i], e->urls[j].id, (void *)e);
      size_t *c = fws_strmap_get(&counts, e->urls[j].id);
      if (!c) fws_strmap_put(&counts, e->urls[j].id, c = &count[next++]);
      ++*c;
    }
  }
  for (size_t o = 0; o < api->nenvironments && warned < 20; o++) {
    const fws_environment *has = &api->environments[o];
    for (size_t j = 0; j < has->nurls && warned < 20; j++) {
      size_t *c = fws_strmap_get(&counts, has->urls[j].id);
      if (*c == nmulti || *c == 0) continue;
      *c = 0; /* reported once, at the first environment that has it */
      for (size_t i = 0; i < api->nenvironments; i++) {
        const fws_environment *e = &api->environments[i];
        if (e->nurls && !fws_strmap_get(&own[i], has->urls[j].id) && warned++ < 20)
          fws_ld_warn(ld, e->pos, "environment '%s' has no URL '%s' (environment '%s' has it)", e->name,
                      has->urls[j].id, has->name);
      }
    }
  }
}

static void read_environments(fws_loader *ld, fws_api *api, const fws_node *envs) {
  if (!envs || !fws_ld_expect_map(ld, envs, "'environments'")) return;
  api->environments = fws_ld_alloc(ld, (envs->n ? envs->n : 1) * sizeof(fws_environment));
  for (size_t i = 0; i < envs->n; i++) {
    const fws_node *k = envs->keys[i], *v = envs->values[i];
    fws_environment *e = &api->environments[api->nenvironments++];
    e->name = k->str;
    e->pos = k->pos;
    if (v->kind == FWS_NODE_SCALAR) {
      e->url = v->str;
      continue;
    }
    if (!fws_ld_expect_map(ld, v, "an environment")) continue;
    static const char *const keys[] = {"url", "urls", "docs", "audiences", NULL};
    fws_ld_known_keys(ld, v, "an environment", keys);
    e->docs = fws_ld_opt_str(ld, v, "docs");
    e->url = fws_ld_opt_str(ld, v, "url");
    const fws_node *urls = fws_node_get(v, "urls");
    if (urls && fws_ld_expect_map(ld, urls, "'urls'")) {
      e->urls = fws_ld_alloc(ld, (urls->n ? urls->n : 1) * sizeof(fws_env_url));
      for (size_t j = 0; j < urls->n; j++)
        if (fws_ld_expect_scalar(ld, urls->values[j], "a URL")) {
          e->urls[e->nurls].id = urls->keys[j]->str;
          e->urls[e->nurls].url = urls->values[j]->str;
          e->nurls++;
        }
    }
    if (!e->url && !urls) fws_ld_error(ld, v->pos, "environment '%s' needs 'url' or 'urls'", e->name);
    if (e->url && urls) fws_ld_error(ld, v->pos, "environment '%s' has both 'url' and 'urls'", e->name);
  }
  check_url_ids(ld, api);
}

static void read_named(fws_loader *ld, const fws_node *n, const char **name, const char **env) {
  if (!n || !fws_ld_expect_map(ld, n, "a credential")) return;
  static const char *const keys[] = {"name", "env", "omit", NULL};
  fws_ld_known_keys(ld, n, "a credential", keys);
  *name = fws_ld_opt_str(ld, n, "name");
  *env = fws_ld_opt_str(ld, n, "env");
}

static void read_scheme(fws_loader *ld, const fws_file *file, const fws_node *k, const fws_node *v,
                        fws_auth_scheme *s) {
  s->name = k->str;
  s->pos = k->pos;
  if (!fws_ld_expect_map(ld, v, "an auth scheme")) return;
  s->docs = fws_ld_opt_str(ld, v, "docs");
  const char *scheme = fws_ld_opt_str(ld, v, "scheme");
  const char *header = fws_ld_opt_str(ld, v, "header");
  if (header) {
    static const char *const keys[] = {"header", "type", "prefix", "name", "env", "docs", NULL};
    fws_ld_known_keys(ld, v, "a header auth scheme", keys);
    s->kind = FWS_AUTH_HEADER;
    s->header = header;
    s->prefix = fws_ld_opt_str(ld, v, "prefix");
    s->sdk_name = fws_ld_opt_str(ld, v, "name");
    s->env = fws_ld_opt_str(ld, v, "env");
    const fws_node *tn = fws_node_get(v, "type");
    if (tn) s->type = fws_ld_typeref(ld, file, tn);
  } else if (scheme && strcmp(scheme, "bearer") == 0) {
    static const char *const keys[] = {"scheme", "token", "get-token", "docs", "websocket-auth-fallback", NULL};
    fws_ld_known_keys(ld, v, "a bearer auth scheme", keys);
    s->kind = fws_node_get(v, "get-token") ? FWS_AUTH_INFERRED : FWS_AUTH_BEARER;
    s->header = "Authorization";
    s->prefix = "Bearer";
    read_named(ld, fws_node_get(v, "token"), &s->sdk_name, &s->env);
  } else if (scheme && strcmp(scheme, "basic") == 0) {
    static const char *const keys[] = {"scheme", "username", "password", "docs", NULL};
    fws_ld_known_keys(ld, v, "a basic auth scheme", keys);
    s->kind = FWS_AUTH_BASIC;
    s->header = "Authorization";
    read_named(ld, fws_node_get(v, "username"), &s->username_name, &s->username_env);
    read_named(ld, fws_node_get(v, "password"), &s->password_name, &s->password_env);
  } else if (scheme && strcmp(scheme, "oauth") == 0) {
    static const char *const keys[] = {"scheme", "type", "get-token", "refresh-token", "scopes",
                                       "client-id-env", "client-secret-env", "token-prefix",
                                       "token-header", "docs", NULL};
    fws_ld_known_keys(ld, v, "an oauth auth scheme", keys);
    s->kind = FWS_AUTH_OAUTH;
    s->header = fws_ld_opt_str(ld, v, "token-header");
    s->prefix = fws_ld_opt_str(ld, v, "token-prefix");
    if (!s->header) s->header = "Authorization";
    if (!s->prefix) s->prefix = "Bearer";
  } else {
    fws_ld_error(ld, v->pos, "auth scheme '%s' needs 'header', or 'scheme' of bearer, basic or oauth", k->str);
  }
}

/* Built-in names usable in `auth:` without an auth-schemes entry. */
static fws_auth_scheme *builtin_scheme(fws_loader *ld, const char *name, fws_pos pos) {
  if (strcmp(name, "bearer") != 0 && strcmp(name, "basic") != 0) return NULL;
  fws_auth_scheme *s = fws_ld_alloc(ld, sizeof *s);
  s->name = name;
  s->pos = pos;
  s->header = "Authorization";
  if (name[1] == 'e') {
    s->kind = FWS_AUTH_BEARER;
    s->prefix = "Bearer";
  } else {
    s->kind = FWS_AUTH_BASIC;
  }
  return s;
}

static fws_auth_scheme *find_scheme(fws_loader *ld, fws_api *api, const fws_node *n) {
  const char *name = n->str;
  for (size_t i = 0; i < api->nschemes; i++)
    if (strcmp(api->schemes[i].name, name) == 0) return &api->schemes[i];
  fws_auth_scheme *b = builtin_scheme(ld, name, n->pos);
  if (b) return b;
  fws_ld_error(ld, n->pos, "auth: no auth scheme named '%s' in auth-schemes", name);
  return NULL;
}

static void read_auth(fws_loader *ld, fws_api *api, const fws_node *auth) {
  if (!auth) return;
  fws_vec out = {0};
  if (auth->kind == FWS_NODE_SCALAR) {
    fws_auth_scheme *s = find_scheme(ld, api, auth);
    if (s) fws_ld_push(ld, &out, s);
  } else if (fws_ld_expect_map(ld, auth, "'auth'")) {
    const fws_node *any = fws_node_get(auth, "any");
    const fws_node *one = fws_node_get(auth, "scheme");
    if (any && fws_ld_expect_seq(ld, any, "'auth.any'")) {
      for (size_t i = 0; i < any->n; i++) {
        const fws_node *e = any->values[i];
        if (e->kind == FWS_NODE_MAP) e = fws_node_get(e, "scheme");
        if (e && fws_ld_expect_scalar(ld, e, "an auth scheme name")) {
          fws_auth_scheme *s = find_scheme(ld, api, e);
          if (s) fws_ld_push(ld, &out, s);
        }
      }
    } else if (one && fws_ld_expect_scalar(ld, one, "'auth.scheme'")) {
      fws_auth_scheme *s = find_scheme(ld, api, one);
      if (s) fws_ld_push(ld, &out, s);
    } else if (!fws_node_get(auth, "endpoint-security")) {
      fws_ld_error(ld, auth->pos, "'auth' must name a scheme, or be {any: [...]} or {scheme: ...}");
    }
  }
  api->auth = (fws_auth_scheme **)out.items;
  api->nauth = out.n;
}

void fws_ld_api_yml(fws_loader *ld, fws_file *file) {
  fws_api *api = ld->api;
  const fws_node *r = file->root;
  fws_ld_known_keys(ld, r, "api.yml", api_keys);
  api->name = fws_ld_opt_str(ld, r, "name");
  if (!api->name) fws_ld_error(ld, r->pos, "api.yml needs a 'name'");
  api->display_name = fws_ld_opt_str(ld, r, "display-name");
  api->docs = fws_ld_opt_str(ld, r, "docs");
  api->base_path = fws_ld_opt_str(ld, r, "base-path");
  api->default_environment = fws_ld_opt_str(ld, r, "default-environment");
  api->default_url = fws_ld_opt_str(ld, r, "default-url");
  read_environments(ld, api, fws_ld_section(r, "environments"));

  const fws_node *schemes = fws_ld_section(r, "auth-schemes");
  if (schemes && fws_ld_expect_map(ld, schemes, "'auth-schemes'")) {
    api->schemes = fws_ld_alloc(ld, (schemes->n ? schemes->n : 1) * sizeof(fws_auth_scheme));
    for (size_t i = 0; i < schemes->n; i++)
      read_scheme(ld, file, schemes->keys[i], schemes->values[i], &api->schemes[api->nschemes++]);
  }
  read_auth(ld, api, fws_node_get(r, "auth"));
  fws_ld_params(ld, file, fws_ld_section(r, "headers"), "header", &api->headers, &api->nheaders);
  fws_ld_params(ld, file, fws_ld_section(r, "path-parameters"), "path parameter", &api->path_params,
                &api->npath_params);

  if (api->default_environment) {
    int found = 0;
    for (size_t i = 0; i < api->nenvironments && !found; i++)
      found = strcmp(api->environments[i].name, api->default_environment) == 0;
    if (!found)
      fws_ld_error(ld, fws_node_get(r, "default-environment")->pos,
                   "default-environment '%s' is not one of the environments", api->default_environment);
  }
  if (api->default_url) {
    for (size_t i = 0; i < api->nenvironments; i++) {
      const fws_environment *e = &api->environments[i];
      int found = e->nurls == 0;
      for (size_t j = 0; j < e->nurls && !found; j++) found = strcmp(e->urls[j].id, api->default_url) == 0;
      if (!found)
        fws_ld_error(ld, fws_node_get(r, "default-url")->pos, "default-url '%s' is not a URL of environment '%s'",
                     api->default_url, e->name);
    }
  }
}
