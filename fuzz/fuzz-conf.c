/* The configuration file: any bytes must give a configuration or
 * CKR_HOST_MEMORY, never a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/tessera-fuzz-conf.XXXXXX";
    int fd = mkstemp(path);
    tsr_conf conf;

    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        setenv("TESSERA_CONF", path, 1);
        if (tsr_conf_load(&conf) == CKR_OK) {
            if (conf.token_dir == NULL || conf.slots == 0 || conf.max_pin_tries == 0)
                abort();
            tsr_conf_clear(&conf);
        }
    }
    close(fd);
    unlink(path);
    return 0;
}
