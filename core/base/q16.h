/* Q16.16 fixed point, the format of the public API's fractional settings
 * (temperature, top-p) and confidences (nats): real = v * 2^-16. */
#ifndef FLM_Q16_H
#define FLM_Q16_H

#define FLM_Q16_SHIFT 16
#define FLM_Q16_ONE   65536u /* 1.0: temperature 0.8 is 52429, top-p 0.9 is 58982 */

#endif /* FLM_Q16_H */
