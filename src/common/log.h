/* Debug logging to stderr, off unless TESSERA_DEBUG is set.  Never pass a
 * secret: callers log handles, types and return values only. */
#ifndef TSR_LOG_H
#define TSR_LOG_H

void tsr_log_init(void);
void tsr_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define TSR_DEBUG(...) tsr_log(__VA_ARGS__)

#endif
