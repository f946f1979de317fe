/*
 * A small printf for the board console. newlib's printf family allocates stdio buffers (and
 * with them malloc and _sbrk), which this firmware must not link, so formatting is done here.
 * Supported: %% %c %s %d %i %u %x %X %p, flags '-' and '0', a field width (digits or '*'),
 * a precision for %s ('.N' or '.*'), and the length modifiers l, ll, z.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "board.h"

struct out {
    char *buf;
    size_t cap;
    size_t len;
};

static void out_c(struct out *o, char c)
{
    if (o->len + 1 < o->cap) {
        o->buf[o->len] = c;
    }
    o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
    while (n-- > 0) {
        out_c(o, c);
    }
}

static void out_str(struct out *o, const char *s, size_t n, int width, int left)
{
    int pad = width > (int)n ? width - (int)n : 0;
    if (!left) {
        out_pad(o, ' ', pad);
    }
    for (size_t i = 0; i < n; i++) {
        out_c(o, s[i]);
    }
    if (left) {
        out_pad(o, ' ', pad);
    }
}

static void out_num(struct out *o, unsigned long long v, int neg, unsigned base, int upper,
                    int width, int zero, int left)
{
    char tmp[24];
    size_t n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v != 0 && n < sizeof tmp);
    int len = (int)n + (neg ? 1 : 0);
    int pad = width > len ? width - len : 0;
    if (!left && !zero) {
        out_pad(o, ' ', pad);
    }
    if (neg) {
        out_c(o, '-');
    }
    if (!left && zero) {
        out_pad(o, '0', pad);
    }
    while (n > 0) {
        out_c(o, tmp[--n]);
    }
    if (left) {
        out_pad(o, ' ', pad);
    }
}

int board_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap)
{
    struct out o = {buf, cap, 0};
    for (const char *f = fmt; *f != '\0'; f++) {
        if (*f != '%') {
            out_c(&o, *f);
            continue;
        }
        f++;
        int left = 0, zero = 0, width = 0, prec = -1, lng = 0;
        for (;; f++) {
            if (*f == '-') {
                left = 1;
            } else if (*f == '0') {
                zero = 1;
            } else {
                break;
            }
        }
        if (*f == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                left = 1;
                width = -width;
            }
            f++;
        } else {
            while (*f >= '0' && *f <= '9') {
                width = width * 10 + (*f++ - '0');
            }
        }
        if (*f == '.') {
            f++;
            prec = 0;
            if (*f == '*') {
                prec = va_arg(ap, int);
                f++;
            } else {
                while (*f >= '0' && *f <= '9') {
                    prec = prec * 10 + (*f++ - '0');
                }
            }
        }
        if (*f == 'l') {
            lng = 1;
            if (f[1] == 'l') {
                lng = 2;
                f++;
            }
            f++;
        } else if (*f == 'z') {
            lng = 3;
            f++;
        }
        switch (*f) {
        case '%':
            out_c(&o, '%');
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            out_str(&o, &c, 1, width, left);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (s == NULL) {
                s = "(null)";
            }
            size_t n = 0;
            while (s[n] != '\0' && (prec < 0 || n < (size_t)prec)) {
                n++;
            }
            out_str(&o, s, n, width, left);
            break;
        }
        case 'd':
        case 'i': {
            long long v;
            if (lng == 2) {
                v = va_arg(ap, long long);
            } else if (lng == 1) {
                v = va_arg(ap, long);
            } else if (lng == 3) {
                v = (long long)va_arg(ap, size_t);
            } else {
                v = va_arg(ap, int);
            }
            unsigned long long mag = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
            out_num(&o, mag, v < 0, 10, 0, width, zero, left);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            unsigned long long v;
            if (lng == 2) {
                v = va_arg(ap, unsigned long long);
            } else if (lng == 1) {
                v = va_arg(ap, unsigned long);
            } else if (lng == 3) {
                v = va_arg(ap, size_t);
            } else {
                v = va_arg(ap, unsigned int);
            }
            out_num(&o, v, 0, *f == 'u' ? 10u : 16u, *f == 'X', width, zero, left);
            break;
        }
        case 'p':
            out_c(&o, '0');
            out_c(&o, 'x');
            out_num(&o, (uintptr_t)va_arg(ap, void *), 0, 16, 0, 8, 1, 0);
            break;
        case '\0':
            f--; /* lone '%' at the end: stop at the terminator */
            break;
        default:
            out_c(&o, '%');
            out_c(&o, *f);
            break;
        }
    }
    if (cap > 0) {
        o.buf[o.len < cap ? o.len : cap - 1] = '\0';
    }
    return (int)o.len;
}

int board_snprintf(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = board_vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}
