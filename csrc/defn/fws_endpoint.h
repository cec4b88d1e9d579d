/* Where a channel lives: the environment's base URL for it, with the scheme made ws/wss and the
** channel path appended (the base URL's own path kept, as Fern's SDKs join them). */
#ifndef FWS_ENDPOINT_H
#define FWS_ENDPOINT_H

#include <stddef.h>

#include "defn/fws_model.h"

/* The environment to use: `name`, else default-environment, else the only one. NULL with a
** reason in err when there is none or the name is unknown. */
const fws_environment *fws_pick_environment(const fws_api *api, const char *name, char *err, size_t errlen);
/* The base URL of ch in env (multi-URL: the channel's `url` id, else default-url). */
const char *fws_environment_base(const fws_api *api, const fws_environment *env, const fws_channel *ch, char *err,
                                 size_t errlen);
/* base + path into out (http -> ws, https -> wss), before the base's query if it has one; the path
** keeps its {placeholders}. Returns the
** length, or 0 when out is too small or the base is not an http(s)/ws(s) URL (err says which). */
size_t fws_join_url(const char *base, const char *path, char *out, size_t size, char *err, size_t errlen);

#endif
