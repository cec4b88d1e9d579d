/* servers -> environments (a channel's `servers` picks its URL), and securitySchemes -> auth. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "defn/fws_asyncapi.h"

typedef struct fws_aa_server {
  const char *key;        /* the servers key */
  const char *name;       /* the environment's name: x-fern-server-name, else the key */
  const char *url;        /* ws(s)://host[:port][/path], variables filled in */
  const char *docs;
  const fws_node *node;
  fws_pos pos;
  int is_default;         /* x-default: true */
  int used;               /* some channel names it */
  int secured;            /* it has `security` */
} aa_server;

static aa_server *servers_of(fws_aa *a, size_t *n) {
  *n = a->nservers;
  return a->servers;
}

/* "{region}.example.com" with each variable's default (or first enum value). */
static const char *fill_variables(fws_aa *a, const char *text, const fws_node *vars, fws_pos pos, const char *key) {
  fws_loader *ld = a->ld;
  size_t len = strlen(text);
  char *out = fws_ld_alloc(ld, len * 4 + 256);
  size_t o = 0, cap = len * 4 + 256;
  for (const char *p = text; *p;) {
    const char *close = *p == '{' ? strchr(p, '}') : NULL;
    if (!close) {
      if (o + 1 < cap) out[o++] = *p;
      p++;
      continue;
    }
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(close - p - 1), p + 1);
    const fws_node *v = fws_node_get(vars, name);
    const char *val = fws_aa_scalar(fws_node_get(v, "default"));
    const fws_node *en = fws_node_get(v, "enum");
    if (!val && en && en->kind == FWS_NODE_SEQ && en->n) val = fws_aa_scalar(en->values[0]);
    if (!val) {
      fws_ld_warn(ld, v ? v->pos : pos, "server '%s': variable '%s' has no default: its URL keeps '{%s}' (pass url = ...)",
                  key, name, name);
      val = fws_arena_printf(&ld->api->arena, "{%s}", name);
    }
    size_t vl = strlen(val);
    if (o + vl < cap) memcpy(out + o, val, vl), o += vl;
    p = close + 1;
  }
  out[o] = '\0';
  return out;
}

static int ws_protocol(const char *p) {
  return strcasecmp(p, "ws") == 0 || strcasecmp(p, "wss") == 0 || strcasecmp(p, "http") == 0 ||
         strcasecmp(p, "https") == 0;
}

void fws_aa_servers(fws_aa *a) {
  fws_loader *ld = a->ld;
  const fws_node *servers = fws_node_get(a->main->root, "servers");
  if (!servers || !fws_ld_expect_map(ld, servers, "'servers'")) return;
  a->servers = fws_ld_alloc(ld, (servers->n ? servers->n : 1) * sizeof *a->servers);
  for (size_t i = 0; i < servers->n; i++) {
    const fws_node *k = servers->keys[i];
    fws_aa_at at = fws_aa_deref(a, (fws_aa_at){servers->values[i], a->main});
    const fws_node *s = at.node;
    if (!s || !fws_ld_expect_map(ld, s, "a server")) continue;
    const char *protocol = fws_aa_str(a, s, "protocol");
    const char *url = fws_aa_str(a, s, "url");   /* 2.6 */
    const char *host = fws_aa_str(a, s, "host"); /* 3.0 */
    const char *path = fws_aa_str(a, s, "pathname");
    if (!protocol) {
      fws_ld_error(ld, s->pos, "server '%s' needs a 'protocol'", k->str);
      continue;
    }
    if (!ws_protocol(protocol)) {
      fws_ld_warn(ld, fws_node_get(s, "protocol")->pos, "server '%s': protocol '%s' is not WebSocket (left out)",
                  k->str, protocol);
      continue;
    }
    const char *where = url ? url : host;
    if (!where) {
      fws_ld_error(ld, s->pos, "server '%s' needs '%s'", k->str, a->version == 2 ? "url" : "host");
      continue;
    }
    const char *scheme = strcasecmp(protocol, "https") == 0 ? "wss" : strcasecmp(protocol, "http") == 0 ? "ws" : protocol;
    char *full = strstr(where, "://") ? fws_arena_printf(&ld->api->arena, "%s%s", where, path ? path : "")
                                      : fws_arena_printf(&ld->api->arena, "%s://%s%s", scheme, where, path ? path : "");
    if (!full) longjmp(ld->oom, 1);
    aa_server *sv = &a->servers[a->nservers++];
    sv->key = k->str;
    sv->pos = k->pos;
    sv->node = s;
    sv->name = fws_aa_scalar(fws_node_get(s, "x-fern-server-name"));
    if (!sv->name) sv->name = k->str;
    sv->url = fill_variables(a, full, fws_node_get(s, "variables"), s->pos, k->str);
    sv->docs = fws_aa_scalar(fws_node_get(s, "description"));
    int b;
    sv->is_default = fws_scalar_bool(fws_node_get(s, "x-default"), &b) && b;
    const fws_node *sec = fws_node_get(s, "security");
    if (sec) sv->secured = fws_aa_security(a, at.doc, sec) > 0;
  }
}

static aa_server *find_server(fws_aa *a, const char *key) {
  size_t n;
  aa_server *s = servers_of(a, &n);
  for (size_t i = 0; i < n; i++)
    if (strcmp(s[i].key, key) == 0) return &s[i];
  return NULL;
}

int fws_aa_channel_servers(fws_aa *a, fws_channel *ch, const fws_node *list) {
  fws_loader *ld = a->ld;
  int secured = 0;
  if (!list || list->kind != FWS_NODE_SEQ) {
    if (list) fws_ld_expect_seq(ld, list, "a channel's 'servers'");
    for (size_t i = 0; i < a->nservers; i++) secured |= a->servers[i].secured;
    return secured;
  }
  fws_vec names = {0};
  for (size_t i = 0; i < list->n; i++) {
    const fws_node *e = list->values[i];
    const char *key = NULL;
    const fws_node *r = fws_node_get(e, "$ref");
    if (r && fws_aa_scalar(r)) {
      /* 3.0: a reference to #/servers/NAME */
      const char *ref = r->str;
      if (strncmp(ref, "#/servers/", 10) == 0) key = ref + 10;
      else fws_ld_error(ld, r->pos, "a channel's server must be a $ref to '#/servers/...'");
    } else {
      key = fws_aa_scalar(e);
    }
    if (!key) continue;
    aa_server *s = find_server(a, key);
    if (!s) {
      fws_ld_error(ld, e->pos, "channel %s: no server '%s' in 'servers'", ch->name, key);
      continue;
    }
    s->used = 1;
    secured |= s->secured;
    fws_ld_push(ld, &names, (void *)s->name);
  }
  if (!names.n) return secured;
  ch->url = names.items[0];
  if (names.n > 1)
    fws_ld_warn(ld, list->pos, "channel %s names %zu servers: fernws connects to '%s' (pass environment or url for another)",
                ch->name, names.n, (const char *)names.items[0]);
  a->filtered = 1;
  return secured;
}

/* One environment per server; but when channels name their servers (Deepgram: the agent on its own
** host), one environment whose URLs are the servers, each channel on its own (a multi-URL
** environment, as Fern Definitions write it), so that a channel reaches its host by default. */
void fws_aa_finish_servers(fws_aa *a) {
  fws_loader *ld = a->ld;
  fws_api *api = ld->api;
  size_t n;
  aa_server *s = servers_of(a, &n);
  if (!n) return;
  size_t def = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i].is_default) def = i;
  if (!a->filtered) {
    api->environments = fws_ld_alloc(ld, n * sizeof(fws_environment));
    for (size_t i = 0; i < n; i++) {
      fws_environment *e = &api->environments[api->nenvironments++];
      e->name = s[i].name;
      e->url = s[i].url;
      e->docs = s[i].docs;
      e->pos = s[i].pos;
    }
    api->default_environment = s[def].name;
    return;
  }
  /* channels without `servers` use the default server's URL */
  for (size_t i = 0; i < api->nchannels; i++)
    if (!api->channels[i]->url) api->channels[i]->url = s[def].name;
  for (size_t i = 0; i < ld->channels.n; i++) {
    fws_channel *ch = ld->channels.items[i];
    if (!ch->url) ch->url = s[def].name;
  }
  api->environments = fws_ld_alloc(ld, sizeof(fws_environment));
  fws_environment *e = &api->environments[api->nenvironments++];
  e->name = s[def].name;
  e->pos = s[def].pos;
  e->docs = s[def].docs;
  e->urls = fws_ld_alloc(ld, n * sizeof(fws_env_url));
  for (size_t i = 0; i < n; i++) {
    e->urls[e->nurls].id = s[i].name;
    e->urls[e->nurls].url = s[i].url;
    e->nurls++;
  }
  api->default_environment = e->name;
  api->default_url = s[def].name;
}

/* ---- security ---- */

static fws_auth_scheme *scheme_named(fws_aa *a, const char *name) {
  fws_api *api = a->ld->api;
  for (size_t i = 0; i < api->nschemes; i++)
    if (strcmp(api->schemes[i].name, name) == 0) return &api->schemes[i];
  return NULL;
}

/* x-fern-header / x-fern-token / x-fern-basic: the option name and the env fallback. */
static void fern_names(fws_aa *a, const fws_node *ext, const char **name, const char **env, const char **prefix) {
  if (!ext || ext->kind != FWS_NODE_MAP) return;
  const char *v;
  if ((v = fws_aa_scalar(fws_node_get(ext, "name")))) *name = v;
  if ((v = fws_aa_scalar(fws_node_get(ext, "env")))) *env = v;
  if (prefix && (v = fws_aa_scalar(fws_node_get(ext, "prefix")))) *prefix = v;
  (void)a;
}

static int read_scheme(fws_aa *a, const fws_node *k, const fws_node *v, fws_auth_scheme *s) {
  fws_loader *ld = a->ld;
  s->name = k->str;
  s->pos = k->pos;
  const char *type = fws_aa_str(a, v, "type");
  s->docs = fws_aa_scalar(fws_node_get(v, "description"));
  if (!type) {
    fws_ld_error(ld, v->pos, "security scheme '%s' needs a 'type'", k->str);
    return 0;
  }
  const char *in = fws_aa_str(a, v, "in");
  if (strcmp(type, "httpApiKey") == 0) {
    const char *name = fws_aa_str(a, v, "name");
    if (!name || !in) {
      fws_ld_error(ld, v->pos, "security scheme '%s' (httpApiKey) needs 'name' and 'in'", k->str);
      return 0;
    }
    s->kind = FWS_AUTH_HEADER;
    if (strcmp(in, "header") == 0) {
      s->header = name;
    } else if (strcmp(in, "query") == 0) {
      s->query = name;
    } else {
      fws_ld_warn(ld, fws_node_get(v, "in")->pos, "security scheme '%s': a key in '%s' cannot be sent (left out)",
                  k->str, in);
      return 0;
    }
    fern_names(a, fws_node_get(v, "x-fern-header"), &s->sdk_name, &s->env, &s->prefix);
    return 1;
  }
  if (strcmp(type, "http") == 0) {
    const char *scheme = fws_aa_str(a, v, "scheme");
    if (scheme && strcasecmp(scheme, "bearer") == 0) {
      s->kind = FWS_AUTH_BEARER;
      s->header = "Authorization";
      s->prefix = "Bearer";
      fern_names(a, fws_node_get(v, "x-fern-token"), &s->sdk_name, &s->env, NULL);
      return 1;
    }
    if (scheme && strcasecmp(scheme, "basic") == 0) {
      s->kind = FWS_AUTH_BASIC;
      s->header = "Authorization";
      const fws_node *b = fws_node_get(v, "x-fern-basic");
      fern_names(a, fws_node_get(b, "username"), &s->username_name, &s->username_env, NULL);
      fern_names(a, fws_node_get(b, "password"), &s->password_name, &s->password_env, NULL);
      return 1;
    }
    fws_ld_warn(ld, v->pos, "security scheme '%s': http scheme '%s' is not supported (bearer, basic): left out", k->str,
                scheme ? scheme : "");
    return 0;
  }
  if (strcmp(type, "userPassword") == 0 || (strcmp(type, "apiKey") == 0)) {
    /* user and password travel in a WebSocket handshake as basic auth */
    s->kind = FWS_AUTH_BASIC;
    s->header = "Authorization";
    if (strcmp(type, "apiKey") == 0) {
      if (!in || (strcmp(in, "user") != 0 && strcmp(in, "password") != 0)) {
        fws_ld_error(ld, v->pos, "security scheme '%s' (apiKey) needs 'in': user or password", k->str);
        return 0;
      }
      fws_ld_warn(ld, v->pos, "security scheme '%s': an apiKey in the %s is sent as basic auth (auth = {username, password})",
                  k->str, in);
    }
    const fws_node *b = fws_node_get(v, "x-fern-basic");
    fern_names(a, fws_node_get(b, "username"), &s->username_name, &s->username_env, NULL);
    fern_names(a, fws_node_get(b, "password"), &s->password_name, &s->password_env, NULL);
    return 1;
  }
  if (strcmp(type, "oauth2") == 0 || strcmp(type, "openIdConnect") == 0) {
    s->kind = FWS_AUTH_OAUTH;
    s->header = "Authorization";
    s->prefix = "Bearer";
    fern_names(a, fws_node_get(v, "x-fern-token"), &s->sdk_name, &s->env, NULL);
    return 1;
  }
  fws_ld_warn(ld, fws_node_get(v, "type")->pos, "security scheme '%s': type '%s' has no place in a WebSocket handshake (left out)",
              k->str, type);
  return 0;
}

void fws_aa_security_schemes(fws_aa *a) {
  fws_loader *ld = a->ld;
  fws_api *api = ld->api;
  const fws_node *comp = fws_node_get(a->main->root, "components");
  const fws_node *ss = comp && comp->kind == FWS_NODE_MAP ? fws_node_get(comp, "securitySchemes") : NULL;
  if (!ss || !fws_ld_expect_map(ld, ss, "'securitySchemes'")) return;
  api->schemes = fws_ld_alloc(ld, (ss->n ? ss->n : 1) * sizeof(fws_auth_scheme));
  for (size_t i = 0; i < ss->n; i++) {
    fws_aa_at at = fws_aa_deref(a, (fws_aa_at){ss->values[i], a->main});
    if (!at.node || !fws_ld_expect_map(ld, at.node, "a security scheme")) continue;
    fws_auth_scheme *s = &api->schemes[api->nschemes];
    memset(s, 0, sizeof *s);
    if (read_scheme(a, ss->keys[i], at.node, s)) api->nschemes++;
  }
}

/* A `security` list: 2.6 writes [{Name: []}], 3.0 [{$ref: '#/components/securitySchemes/Name'}].
** The schemes join the api's auth (any one of them will do, as each requirement is an alternative). */
size_t fws_aa_security(fws_aa *a, const fws_aa_doc *doc, const fws_node *list) {
  fws_loader *ld = a->ld;
  fws_api *api = ld->api;
  (void)doc;
  if (!fws_ld_expect_seq(ld, list, "'security'")) return 0;
  size_t named = 0;
  for (size_t i = 0; i < list->n; i++) {
    const fws_node *req = list->values[i];
    if (!fws_ld_expect_map(ld, req, "a security requirement")) continue;
    if (req->n > 1)
      fws_ld_warn(ld, req->pos, "a security requirement naming %zu schemes together: fernws sends one of them", req->n);
    for (size_t j = 0; j < req->n; j++) {
      const char *name = req->keys[j]->str;
      fws_pos pos = req->keys[j]->pos;
      if (strcmp(name, "$ref") == 0) {
        const char *ref = fws_aa_scalar(req->values[j]);
        const char *prefix = "#/components/securitySchemes/";
        if (!ref || strncmp(ref, prefix, strlen(prefix)) != 0) {
          fws_ld_error(ld, req->values[j]->pos, "a security requirement must be a $ref to '%s...'", prefix);
          continue;
        }
        name = ref + strlen(prefix);
        pos = req->values[j]->pos;
      }
      fws_auth_scheme *s = scheme_named(a, name);
      if (!s) {
        /* left out above (with its warning), or not declared at all */
        const fws_node *comp = fws_node_get(a->main->root, "components");
        if (!fws_node_get(fws_node_get(comp, "securitySchemes"), name))
          fws_ld_error(ld, pos, "security: no scheme '%s' in components.securitySchemes", name);
        continue;
      }
      named++;
      int have = 0;
      for (size_t k = 0; k < api->nauth && !have; k++) have = api->auth[k] == s;
      if (have) continue;
      fws_auth_scheme **na = fws_ld_alloc(ld, (api->nauth + 1) * sizeof *na);
      if (api->nauth) memcpy(na, api->auth, api->nauth * sizeof *na);
      na[api->nauth++] = s;
      api->auth = na;
    }
  }
  return named;
}
