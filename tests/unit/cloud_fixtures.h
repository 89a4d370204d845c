/* Recorded-style OpenAI chat-completions payloads (shapes as documented by
 * the OpenAI API reference, including the fields a real reply carries and a
 * parser must step over), shared by the openai and cloud client tests.
 * The same answer is given non-streamed and streamed. */
#ifndef FLM_TEST_CLOUD_FIXTURES_H
#define FLM_TEST_CLOUD_FIXTURES_H

#define FX_ANSWER "Hello! \"Sky\" is blue\nbecause of Rayleigh scattering \xe2\x80\x94 caf\xc3\xa9 \xf0\x9f\x98\x80."

static const char fx_completion[] =
    "{\n"
    "  \"id\": \"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT\",\n"
    "  \"object\": \"chat.completion\",\n"
    "  \"created\": 1741569952,\n"
    "  \"model\": \"gpt-4.1-2025-04-14\",\n"
    "  \"choices\": [\n"
    "    {\n"
    "      \"index\": 0,\n"
    "      \"message\": {\n"
    "        \"role\": \"assistant\",\n"
    "        \"content\": \"Hello! \\\"Sky\\\" is blue\\nbecause of Rayleigh scattering \\u2014 caf\\u00e9 \\ud83d\\ude00.\",\n"
    "        \"refusal\": null,\n"
    "        \"annotations\": []\n"
    "      },\n"
    "      \"logprobs\": null,\n"
    "      \"finish_reason\": \"stop\"\n"
    "    }\n"
    "  ],\n"
    "  \"usage\": {\n"
    "    \"prompt_tokens\": 19,\n"
    "    \"completion_tokens\": 10,\n"
    "    \"total_tokens\": 29,\n"
    "    \"prompt_tokens_details\": { \"cached_tokens\": 0, \"audio_tokens\": 0 },\n"
    "    \"completion_tokens_details\": { \"reasoning_tokens\": 0, \"audio_tokens\": 0,\n"
    "      \"accepted_prediction_tokens\": 0, \"rejected_prediction_tokens\": 0 }\n"
    "  },\n"
    "  \"service_tier\": \"default\",\n"
    "  \"system_fingerprint\": null\n"
    "}\n";

#define FX_CHUNK(delta, finish, usage)                                                      \
    "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190," \
    "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0," \
    "\"delta\":" delta ",\"logprobs\":null,\"finish_reason\":" finish "}],\"usage\":" usage "}\n\n"

static const char fx_stream[] =
    ": keep-alive\n\n"
    FX_CHUNK("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}", "null", "null")
    FX_CHUNK("{\"content\":\"Hello! \\\"Sky\\\" is\"}", "null", "null")
    FX_CHUNK("{\"content\":\" blue\\nbecause of Rayleigh\"}", "null", "null")
    FX_CHUNK("{\"content\":\" scattering \\u2014 caf\\u00e9 \\ud83d\\ude00.\"}", "null", "null")
    FX_CHUNK("{}", "\"stop\"", "null")
    "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
    "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[],"
    "\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":10,\"total_tokens\":29,"
    "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n\n"
    "data: [DONE]\n\n";

static const char fx_quota_error[] =
    "{\n    \"error\": {\n        \"message\": \"You exceeded your current quota, please check your plan and billing details.\",\n"
    "        \"type\": \"insufficient_quota\",\n        \"param\": null,\n        \"code\": \"insufficient_quota\"\n    }\n}\n";

static const char fx_rate_error[] =
    "{\"error\":{\"message\":\"Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.\","
    "\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}";

static const char fx_key_error[] =
    "{\"error\":{\"message\":\"Incorrect API key provided: sk-secret-KEY-123. You can find your API key at https://platform.openai.com/account/api-keys.\","
    "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}";

static const char fx_stream_midway_error[] =
    FX_CHUNK("{\"role\":\"assistant\",\"content\":\"Partial\"}", "null", "null")
    "data: {\"error\":{\"message\":\"The server had an error while processing your request.\","
    "\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n";

#endif
