/* The kiosk page (core/server/server_kiosk.c). */
#ifndef FLM_SERVER_KIOSK_H
#define FLM_SERVER_KIOSK_H

#include <stddef.h>

extern const char   flm_srv_kiosk_html[];
extern const size_t flm_srv_kiosk_len;

#endif /* FLM_SERVER_KIOSK_H */
