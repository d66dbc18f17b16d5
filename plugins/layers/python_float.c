/* cnnlab layers — Python's repr of a float, for the module reprs that
 * print a manifest's number as PyTorch prints the Python float it would
 * be (Dropout's p, LeakyReLU's negative_slope). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onednn.h"

void cnn_layers_python_float(char *buf, size_t size, double value)
{
    /* The fewest significant digits that read back as the same double
     * (the closest such text, as Python's repr takes). */
    char digits[40];
    int precision = 1;
    for (; precision < 17; precision++) {
        snprintf(digits, sizeof digits, "%.*e", precision - 1, value);
        if (strtod(digits, NULL) == value)
            break;
    }
    snprintf(digits, sizeof digits, "%.*e", precision - 1, value);
    /* Python writes exponents below -4 and from 16 on ("1e-05", "1e+16",
     * as C does), the rest positionally with ".0" on whole numbers. */
    int exponent = atoi(strchr(digits, 'e') + 1);
    if (exponent < -4 || exponent >= 16) {
        snprintf(buf, size, "%s", digits);
        return;
    }
    int decimals = precision - 1 - exponent;
    snprintf(buf, size, "%.*f", decimals > 0 ? decimals : 0, value);
    if (!strchr(buf, '.'))
        strncat(buf, ".0", size - strlen(buf) - 1);
}
