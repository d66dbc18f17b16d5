/* cnnlab — writing a node tree as block YAML (a run's resolved manifest).
 *
 * The output must read back to an equal tree, so a scalar is written plain
 * only when plain text is certain to read back as the same plain scalar;
 * otherwise (and whenever it was quoted in the source) it is double-quoted
 * with escapes. */
#include <string.h>

#include "cnnlab/node.h"

/* Characters that start or end YAML syntax somewhere in a plain scalar.
 * Quoting whenever one appears anywhere is stricter than YAML needs, but
 * keeps the rule simple and safe. */
static const char yaml_special[] = ":#{}[],&*!|>'\"%@`";

/* The length of the UTF-8 sequence at p (2 or 3) if it encodes a
 * character YAML does not allow as it is, or reads as something else, and
 * that must therefore be escaped: the C1 controls U+0080-U+009F (not
 * printable; U+0085, next line, is a line break), the separators U+2028
 * and U+2029 (line breaks), U+FEFF (a byte order mark) and the
 * non-characters U+FFFE and U+FFFF; 0 otherwise. *codepoint is its
 * value. */
static int unicode_to_escape(const unsigned char *p, unsigned *codepoint)
{
    if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
        *codepoint = p[1];
        return 2;
    }
    if ((p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) ||
        (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) ||
        (p[0] == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF))) {
        *codepoint = (p[0] & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 |
                     (p[2] & 0x3Fu);
        return 3;
    }
    return 0;
}

static int needs_quotes(const char *text)
{
    size_t length = strlen(text);
    if (length == 0)
        return 1;
    if (text[0] == ' ' || text[length - 1] == ' ')
        return 1;
    /* "- x", "? x" and a lone "-" or "?" start block syntax. */
    if ((text[0] == '-' || text[0] == '?') &&
        (text[1] == '\0' || text[1] == ' '))
        return 1;
    /* Document markers when they begin a line. */
    if (strncmp(text, "---", 3) == 0 || strncmp(text, "...", 3) == 0)
        return 1;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        unsigned codepoint;
        if (*p < 0x20 || *p == 0x7F || unicode_to_escape(p, &codepoint))
            return 1;
        if (strchr(yaml_special, *p))
            return 1;
    }
    return 0;
}

static int write_quoted(const char *text, FILE *out)
{
    if (fputc('"', out) == EOF)
        return -1;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        int status;
        switch (*p) {
        case '"':
            status = fputs("\\\"", out);
            break;
        case '\\':
            status = fputs("\\\\", out);
            break;
        case '\n':
            status = fputs("\\n", out);
            break;
        case '\t':
            status = fputs("\\t", out);
            break;
        case '\r':
            status = fputs("\\r", out);
            break;
        default: {
            unsigned codepoint;
            int length = unicode_to_escape(p, &codepoint);
            if (length) {
                status = fprintf(out, "\\u%04X", codepoint);
                p += length - 1;
            } else if (*p < 0x20 || *p == 0x7F) {
                status = fprintf(out, "\\x%02X", *p);
            } else {
                status = fputc(*p, out);
            }
            break;
        }
        }
        if (status < 0)
            return -1;
    }
    return fputc('"', out) == EOF ? -1 : 0;
}

static int write_text(const char *text, int quoted, FILE *out)
{
    if (quoted || needs_quotes(text))
        return write_quoted(text, out);
    return fputs(text, out) < 0 ? -1 : 0;
}

static int write_indent(int indent, FILE *out)
{
    for (int i = 0; i < indent; i++)
        if (fputc(' ', out) == EOF)
            return -1;
    return 0;
}

static int write_block(const struct cnn_node *node, int indent,
                       int first_inline, FILE *out);

/* Writes what follows "key:" or "-": a space and a one-line value, or a
 * newline and an indented block. */
static int write_value(const struct cnn_node *node, int indent, FILE *out)
{
    if (node->kind == CNN_NODE_SCALAR) {
        /* A plain empty scalar ("key:" with nothing after) stays so. */
        if (!node->quoted && node->text[0] == '\0')
            return fputc('\n', out) == EOF ? -1 : 0;
        if (fputc(' ', out) == EOF || write_text(node->text, node->quoted, out))
            return -1;
        return fputc('\n', out) == EOF ? -1 : 0;
    }
    if (node->count == 0)
        return fputs(node->kind == CNN_NODE_MAP ? " {}\n" : " []\n", out) < 0
                   ? -1
                   : 0;
    if (fputc('\n', out) == EOF)
        return -1;
    return write_block(node, indent, 0, out);
}

/* Writes a non-empty map or list at `indent`. With first_inline, the first
 * line follows a "- " already written (a map inside a list). */
static int write_block(const struct cnn_node *node, int indent,
                       int first_inline, FILE *out)
{
    for (int i = 0; i < node->count; i++) {
        if ((i > 0 || !first_inline) && write_indent(indent, out) != 0)
            return -1;
        const struct cnn_node *item = node->items[i];
        if (node->kind == CNN_NODE_MAP) {
            if (write_text(node->keys[i], 0, out) != 0 ||
                fputc(':', out) == EOF ||
                write_value(item, indent + 2, out) != 0)
                return -1;
            continue;
        }
        if (fputc('-', out) == EOF)
            return -1;
        if (item->kind == CNN_NODE_MAP && item->count > 0) {
            if (fputc(' ', out) == EOF ||
                write_block(item, indent + 2, 1, out) != 0)
                return -1;
        } else if (write_value(item, indent + 2, out) != 0) {
            return -1;
        }
    }
    return 0;
}

int cnn_node_write(const struct cnn_node *node, FILE *out)
{
    if (!node || !out)
        return -1;
    int status;
    if (node->kind == CNN_NODE_SCALAR) {
        /* A plain empty root would read back as an empty document. */
        status = write_text(node->text, node->quoted || !node->text[0], out);
        if (status == 0 && fputc('\n', out) == EOF)
            status = -1;
    } else if (node->count == 0) {
        status = fputs(node->kind == CNN_NODE_MAP ? "{}\n" : "[]\n", out) < 0
                     ? -1
                     : 0;
    } else {
        status = write_block(node, 0, 0, out);
    }
    if (status == 0 && ferror(out))
        status = -1;
    return status;
}
