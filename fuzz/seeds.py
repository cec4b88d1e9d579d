#!/usr/bin/env python3
"""Writes the seed corpora of the codec targets (fuzz/corpus/fuzz_decode, fuzz_roundtrip).

Real-shaped Hume EVI messages (every SubscribeEvent and PublishEvent member, valid and slightly
wrong), plus plain JSON for `unknown`. Run from anywhere; rewrites the files it owns (m-*.json).
The loader seeds (fuzz/corpus/fuzz_load) are trimmed fixture files, written by hand.
"""
import json, os, random

here = os.path.dirname(os.path.abspath(__file__))
EMOTIONS = ["Admiration", "Adoration", "Aesthetic Appreciation", "Amusement", "Anger", "Anxiety", "Awe",
            "Awkwardness", "Boredom", "Calmness", "Concentration", "Confusion", "Contemplation", "Contempt",
            "Contentment", "Craving", "Desire", "Determination", "Disappointment", "Disgust", "Distress",
            "Doubt", "Ecstasy", "Embarrassment", "Empathic Pain", "Entrancement", "Envy", "Excitement", "Fear",
            "Guilt", "Horror", "Interest", "Joy", "Love", "Nostalgia", "Pain", "Pride", "Realization", "Relief",
            "Romance", "Sadness", "Satisfaction", "Shame", "Surprise (negative)", "Surprise (positive)",
            "Sympathy", "Tiredness", "Triumph"]
rnd = random.Random(7)
scores = {e: round(rnd.random() * 0.6, 6) for e in EMOTIONS}

server = {
    "assistant_end": {"type": "assistant_end"},
    "assistant_message": {"type": "assistant_message", "id": "3e4f1a2b", "from_text": False,
                          "message": {"role": "assistant", "content": "Hello! How can I help you today?"},
                          "models": {"prosody": {"scores": scores}}, "language": "en"},
    "assistant_message_short": {"type": "assistant_message", "from_text": True,
                                "message": {"role": "assistant", "content": "Sure."}, "models": {}},
    "assistant_prosody": {"type": "assistant_prosody", "id": "p1", "models": {"prosody": {"scores": scores}}},
    "audio_output": {"type": "audio_output", "id": "a1", "index": 0, "data": "UklGRiQAAABXQVZFZm10IBAAAAABAAEA"},
    "chat_metadata": {"type": "chat_metadata", "chat_group_id": "9f0e8d7c", "chat_id": "1a2b3c4d",
                      "request_id": "req-42"},
    "error": {"type": "error", "code": "E0100", "slug": "invalid_session", "message": "The session is not valid."},
    "user_interruption": {"type": "user_interruption", "time": 1712},
    "user_message": {"type": "user_message", "from_text": False, "interim": True,
                     "message": {"role": "user", "content": "What's the weather like?"},
                     "models": {"prosody": {"scores": scores}}, "time": {"begin": 120, "end": 2380}},
    "tool_call": {"type": "tool_call", "name": "get_weather", "parameters": "{\"city\":\"Paris\"}",
                  "response_required": True, "tool_call_id": "call_1", "tool_type": "function"},
    "tool_call_untyped": {"name": "get_weather", "parameters": "{}", "response_required": False,
                          "tool_call_id": "call_2", "tool_type": "builtin"},
    "tool_response": {"type": "tool_response", "tool_call_id": "call_1", "content": "18 C, sunny",
                      "tool_name": "get_weather", "tool_type": "function"},
    "tool_error": {"type": "tool_error", "tool_call_id": "call_1", "error": "timeout", "level": "warn",
                   "code": "E1", "content": "try later"},
    "user_message_tool": {"type": "user_message", "from_text": True, "interim": False,
                          "message": {"role": "tool", "tool_result": {"type": "tool_error", "tool_call_id": "c",
                                                                      "error": "x"}},
                          "models": {}, "time": {"begin": 0, "end": 1}},
}
client = {
    "audio_input": {"type": "audio_input", "data": "AAAA"},
    "session_settings": {"type": "session_settings", "system_prompt": "You are a helpful assistant.",
                         "context": {"text": "The user is in Paris.", "type": "persistent"},
                         "variables": {"name": "Ada", "age": 36, "vip": True},
                         "audio": {"encoding": "linear16", "sample_rate": 16000, "channels": 1},
                         "tools": [{"type": "function", "name": "get_weather", "parameters": "{}"}],
                         "builtin_tools": [{"name": "web_search"}], "metadata": {"a": [1, 2.5, None, {}]}},
    "user_input": {"type": "user_input", "text": "Hello, world."},
    "assistant_input": {"type": "assistant_input", "text": "Hi"},
    "pause": {"type": "pause_assistant_message"},
    "resume": {"type": "resume_assistant_message", "custom_session_id": "s"},
}
wrong = {
    "bad_literal": {"type": "assistant_mesage", "from_text": False},
    "missing_required": {"type": "audio_output", "id": "a1", "data": "x"},
    "wrong_type": {"type": "user_interruption", "time": "soon"},
    "float_for_int": {"type": "user_interruption", "time": 7.5},
    "extra_prop": {"type": "assistant_end", "extra": {"nested": [1, 2, 3]}},
    "bad_enum": {"type": "tool_response", "tool_call_id": "c", "content": "x", "tool_type": "rest"},
    "no_type": {"chat_group_id": "g", "chat_id": "c"},
}
plain = ["null", "true", "[]", "{}", "[1,-0,1.5e300,-9223372036854775808,18446744073709551615]",
         "\"\\u00e9\\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\"", "{\"a\":{\"b\":{\"c\":[[[]]]}},\"a\":1}",
         "  [ 1 , { } , \"x\" ]  ", "123456789012345678901234567890", "0.1", "1E+2", "-0.0e-5"]

def write(dirname, name, text):
    d = os.path.join(here, "corpus", dirname)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "m-" + name), "w") as f:
        f.write(text)

for target in ("fuzz_decode", "fuzz_roundtrip"):
    for k, v in {**server, **client, **wrong}.items():
        write(target, k + ".json", json.dumps(v, separators=(",", ":")))
    for i, t in enumerate(plain):
        write(target, "plain%02d.json" % i, t)
    # one pretty-printed message: whitespace paths
    write(target, "pretty.json", json.dumps(server["chat_metadata"], indent=2))
