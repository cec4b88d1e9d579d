#include "defn/fws_endpoint.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const fws_environment *fws_pick_environment(const fws_api *api, const char *name, char *err, size_t errlen) {
  if (!name) name = api->default_environment;
  if (!name) {
    if (api->nenvironments == 1) return &api->environments[0];
    snprintf(err, errlen, api->nenvironments ? "the definition has several environments and no default-environment: "
                                               "pass environment = ... or url = ..."
                                             : "the definition has no environments: pass url = ...");
    return NULL;
  }
  for (size_t i = 0; i < api->nenvironments; i++)
    if (strcmp(api->environments[i].name, name) == 0) return &api->environments[i];
  size_t at = (size_t)snprintf(err, errlen, "unknown environment '%s' (", name);
  for (size_t i = 0; i < api->nenvironments && at < errlen; i++)
    at += (size_t)snprintf(err + at, errlen - at, "%s%s", i ? ", " : "", api->environments[i].name);
  if (at < errlen) snprintf(err + at, errlen - at, "%s)", api->nenvironments ? "" : "none");
  return NULL;
}

const char *fws_environment_base(const fws_api *api, const fws_environment *env, const fws_channel *ch, char *err,
                                 size_t errlen) {
  if (env->url) return env->url;
  const char *id = ch->url ? ch->url : api->default_url;
  if (!id) {
    snprintf(err, errlen, "environment '%s' has several URLs and the channel names none (no url:, no default-url)",
             env->name);
    return NULL;
  }
  for (size_t i = 0; i < env->nurls; i++)
    if (strcmp(env->urls[i].id, id) == 0) return env->urls[i].url;
  snprintf(err, errlen, "environment '%s' has no URL '%s'", env->name, id);
  return NULL;
}

size_t fws_join_url(const char *base, const char *path, char *out, size_t size, char *err, size_t errlen) {
  const char *scheme;
  const char *rest;
  /* a base may carry a query (a key typed in by hand): the path goes before it, and an error
  ** shows the base without it */
  size_t bl = strcspn(base, "?");
  const char *query = base + bl;
  if (strncasecmp(base, "https://", 8) == 0) scheme = "wss://", rest = base + 8;
  else if (strncasecmp(base, "http://", 7) == 0) scheme = "ws://", rest = base + 7;
  else if (strncasecmp(base, "wss://", 6) == 0) scheme = "wss://", rest = base + 6;
  else if (strncasecmp(base, "ws://", 5) == 0) scheme = "ws://", rest = base + 5;
  else {
    snprintf(err, errlen, "'%.*s%s' is not an http(s) or ws(s) URL", (int)(bl < 200 ? bl : 200), base,
             bl > 200 || *query ? "..." : "");
    return 0;
  }
  size_t rl = (size_t)(query - rest);
  while (rl && rest[rl - 1] == '/') rl--;
  while (*path == '/') path++;
  int n = snprintf(out, size, "%s%.*s/%s%s", scheme, (int)rl, rest, path, query);
  if (n < 0 || (size_t)n >= size) {
    snprintf(err, errlen, "the URL is too long");
    return 0;
  }
  return (size_t)n;
}
