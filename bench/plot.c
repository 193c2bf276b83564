/* The object-store scaling curves as plain SVG text: three panels side by
 * side (find and attribute-read latency, create and destroy rate, cold
 * start), each against N on a logarithmic axis. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define PANEL_W 420.0
#define PANEL_H 320.0
#define LEFT    64.0 /* room for the y tick labels */
#define RIGHT   30.0
#define TOP     40.0
#define BOTTOM  48.0
#define TITLE_H 36.0

typedef struct series {
    const char *name;
    const char *color;
    const double *y;
} series;

/* XML-safe text. */
static void text(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else
            fputc(*s, f);
    }
}

/* 1, 2 or 5 times a power of ten, at least `v`. */
static double nice_ceil(double v)
{
    double p, m;

    if (!(v > 0))
        return 1.0;
    p = pow(10.0, floor(log10(v)));
    m = v / p;
    return (m <= 1.0 ? 1.0 : m <= 2.0 ? 2.0 : m <= 5.0 ? 5.0 : 10.0) * p;
}

typedef struct frame {
    double x0, y0; /* top-left of the plotting area */
    double w, h;
    double lx0, lx1; /* log10 of the x range */
    double ymax;
} frame;

static double fx(const frame *fr, double x)
{
    return fr->x0 + (log10(x) - fr->lx0) / (fr->lx1 - fr->lx0) * fr->w;
}

static double fy(const frame *fr, double y)
{
    return fr->y0 + fr->h - y / fr->ymax * fr->h;
}

static void axes(FILE *f, const frame *fr, const char *ylabel)
{
    for (int i = 0; i <= 5; i++) {
        double v = fr->ymax * i / 5.0, y = fy(fr, v);
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ddd'/>\n", fr->x0, y,
                fr->x0 + fr->w, y);
        fprintf(f, "<text x='%.1f' y='%.1f' text-anchor='end' font-size='11'>%g</text>\n",
                fr->x0 - 6, y + 4, v);
    }
    for (int e = (int)fr->lx0; e <= (int)fr->lx1; e++) {
        double x = fx(fr, pow(10.0, e));
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ddd'/>\n", x, fr->y0, x,
                fr->y0 + fr->h);
        fprintf(f, "<text x='%.1f' y='%.1f' text-anchor='middle' font-size='11'>%.0f</text>\n", x,
                fr->y0 + fr->h + 16, pow(10.0, e));
    }
    fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='none' stroke='#333'/>\n",
            fr->x0, fr->y0, fr->w, fr->h);
    fprintf(f,
            "<text x='%.1f' y='%.1f' text-anchor='middle' font-size='12'>objects on the "
            "token (N, log scale)</text>\n",
            fr->x0 + fr->w / 2, fr->y0 + fr->h + 36);
    fprintf(f, "<text x='%.1f' y='%.1f' font-size='13' font-weight='bold'>", fr->x0, fr->y0 - 12);
    text(f, ylabel);
    fputs("</text>\n", f);
}

static void curve(FILE *f, const frame *fr, const plot_data *d, const series *s, int idx)
{
    fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='2' points='", s->color);
    for (size_t i = 0; i < d->n; i++)
        if (isfinite(s->y[i]))
            fprintf(f, "%.1f,%.1f ", fx(fr, d->objects[i]), fy(fr, s->y[i]));
    fputs("'/>\n", f);
    for (size_t i = 0; i < d->n; i++)
        if (isfinite(s->y[i]))
            fprintf(f, "<circle cx='%.1f' cy='%.1f' r='3' fill='%s'/>\n", fx(fr, d->objects[i]),
                    fy(fr, s->y[i]), s->color);
    fprintf(f, "<rect x='%.1f' y='%.1f' width='10' height='10' fill='%s'/>\n", fr->x0 + 8,
            fr->y0 + 8 + 16 * idx, s->color);
    fprintf(f, "<text x='%.1f' y='%.1f' font-size='11'>", fr->x0 + 22, fr->y0 + 17 + 16 * idx);
    text(f, s->name);
    fputs("</text>\n", f);
}

/* A dashed horizontal line: the target for the panel. */
static void target(FILE *f, const frame *fr, double y, const char *label)
{
    fprintf(f,
            "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#888' "
            "stroke-dasharray='6,4'/>\n",
            fr->x0, fy(fr, y), fr->x0 + fr->w, fy(fr, y));
    fprintf(f, "<text x='%.1f' y='%.1f' text-anchor='end' font-size='11' fill='#666'>",
            fr->x0 + fr->w - 4, fy(fr, y) - 4);
    text(f, label);
    fputs("</text>\n", f);
}

static void panel(FILE *f, double left, const char *ylabel, const plot_data *d, const series *s,
                  size_t ns, double goal, const char *goal_label)
{
    frame fr = {.x0 = left + LEFT,
                .y0 = TITLE_H + TOP,
                .w = PANEL_W - LEFT - RIGHT,
                .h = PANEL_H - TOP - BOTTOM};
    double ymax = 0, xmin = d->objects[0], xmax = d->objects[d->n - 1];

    for (size_t k = 0; k < ns; k++)
        for (size_t i = 0; i < d->n; i++)
            if (isfinite(s[k].y[i]) && s[k].y[i] > ymax)
                ymax = s[k].y[i];
    if (goal > ymax)
        ymax = goal;
    fr.ymax = nice_ceil(ymax * 1.15);
    fr.lx0 = floor(log10(xmin));
    fr.lx1 = ceil(log10(xmax));
    if (fr.lx1 <= fr.lx0)
        fr.lx1 = fr.lx0 + 1;
    axes(f, &fr, ylabel);
    target(f, &fr, goal, goal_label);
    for (size_t k = 0; k < ns; k++)
        curve(f, &fr, d, &s[k], (int)k);
}

bool plot_write(const char *path, const plot_data *d)
{
    const series lat[] = {
        {"find by CKA_ID, hit", "#1f77b4", d->find_us[0]},
        {"find by CKA_ID, miss", "#aec7e8", d->find_us[1]},
        {"find by CKA_LABEL, hit", "#d62728", d->find_us[2]},
        {"find by CKA_LABEL, miss", "#ff9896", d->find_us[3]},
        {"C_GetAttributeValue", "#2ca02c", d->getattr_us},
    };
    const series rate[] = {
        {"C_CreateObject", "#9467bd", d->create_per_s},
        {"C_DestroyObject", "#8c564b", d->destroy_per_s},
    };
    const series cold[] = {{"C_Initialize to first find", "#ff7f0e", d->cold_ms}};
    FILE *f = fopen(path, "w");

    if (f == NULL)
        return false;
    fprintf(f,
            "<?xml version='1.0' encoding='UTF-8'?>\n"
            "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' "
            "font-family='sans-serif'>\n<rect width='100%%' height='100%%' fill='white'/>\n",
            3 * PANEL_W, PANEL_H + TITLE_H);
    fputs("<text x='12' y='22' font-size='15'>tessera-bench object store: ", f);
    text(f, d->title);
    fputs("</text>\n", f);
    panel(f, 0, "median latency, µs", d, lat, 5, 20, "target for finds: 20 µs");
    panel(f, PANEL_W, "rate, objects/s", d, rate, 2, 5000, "target for creation: 5,000/s");
    panel(f, 2 * PANEL_W, "cold start, ms", d, cold, 1, 50, "target at N=100,000: 50 ms");
    fputs("</svg>\n", f);
    return fclose(f) == 0;
}
