/* fieldlm version: bumped on every release. */
#ifndef FLM_VERSION_H
#define FLM_VERSION_H

#define FLM_VERSION_MAJOR 0
#define FLM_VERSION_MINOR 1
#define FLM_VERSION_PATCH 0
#define FLM_VERSION_STRING "0.1.0"

#endif /* FLM_VERSION_H */
