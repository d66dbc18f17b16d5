/* Where an occluding window lies (docs/manifest.md, occlusion; issue 19,
 * class 11): map cell (i, j) belongs to the pixel at its window's centre,
 * and a window of even size lies half a pixel down and right of that pixel,
 * (window - 1) / 2 pixels before it and window / 2 after. Pins the
 * documented placement for odd, even and rectangular windows, border clip
 * and valid, so the doc and the geometry (occlusion_brute.c) cannot part
 * again. */
#include "occlusion.h"
#include "tap.h"

/* Checks cell (i, j) of a height × width image against the documented
 * window: rows [pixel - (window_h - 1) / 2, pixel + window_h / 2], cut at
 * the border, and the same for columns. */
static void check_cell(struct occlusion_config *c, int height, int width,
                       int i, int j, const char *what)
{
    int row, column, top, left, bottom, right;
    occlusion_centre(c, i, j, &row, &column);
    occlusion_window(c, height, width, i, j, &top, &left, &bottom, &right);
    int want_top = row - (c->window_h - 1) / 2;
    int want_bottom = row + c->window_h / 2 + 1;
    int want_left = column - (c->window_w - 1) / 2;
    int want_right = column + c->window_w / 2 + 1;
    want_top = want_top < 0 ? 0 : want_top;
    want_left = want_left < 0 ? 0 : want_left;
    want_bottom = want_bottom > height ? height : want_bottom;
    want_right = want_right > width ? width : want_right;
    ok(top == want_top && bottom == want_bottom && left == want_left
           && right == want_right,
       "%s: cell (%d, %d) at pixel (%d, %d) covers rows [%d, %d), columns "
       "[%d, %d) (documented: [%d, %d), [%d, %d))",
       what, i, j, row, column, top, bottom, left, right, want_top,
       want_bottom, want_left, want_right);
}

int main(void)
{
    /* A 4x4 window, clip, stride 1: cell (5, 5) belongs to pixel (5, 5)
     * and covers rows and columns 4..7: 1 before, 2 after, so its middle
     * (5.5) is half a pixel down and right of the pixel. */
    struct occlusion_config even = {4, 4, 1, 1, 0, 1, 0, 0};
    occlusion_grid(&even, 12, 12);
    int row, column, top, left, bottom, right;
    occlusion_centre(&even, 5, 5, &row, &column);
    occlusion_window(&even, 12, 12, 5, 5, &top, &left, &bottom, &right);
    is_int(row, 5, "a 4x4 window at cell (5, 5): the cell's pixel is row 5");
    is_int(column, 5, "  and column 5");
    is_int(top, 4, "  its first row is 4 (1 pixel before)");
    is_int(bottom, 8, "  its last row is 7 (2 pixels after)");
    is_int(left, 4, "  its first column is 4");
    is_int(right, 8, "  its last column is 7");
    double middle_row = (top + bottom - 1) / 2.0;
    double middle_column = (left + right - 1) / 2.0;
    ok(middle_row - row == 0.5 && middle_column - column == 0.5,
       "  its middle (%g, %g) is half a pixel down and right of the pixel",
       middle_row, middle_column);

    struct occlusion_config odd = {3, 3, 1, 1, 0, 1, 0, 0};
    occlusion_window(&odd, 12, 12, 5, 5, &top, &left, &bottom, &right);
    ok(top == 4 && bottom == 7 && left == 4 && right == 7,
       "a 3x3 window at cell (5, 5) is centred on it: rows and columns 4..6");

    const struct {
        int window_h, window_w, stride_h, stride_w, valid;
        const char *what;
    } cases[] = {
        {4, 4, 1, 1, 0, "4x4, stride 1, clip"},
        {6, 2, 2, 3, 0, "6x2, stride 2x3, clip"},
        {5, 8, 3, 2, 0, "5x8, stride 3x2, clip"},
        {4, 4, 1, 1, 1, "4x4, stride 1, valid"},
        {2, 6, 2, 1, 1, "2x6, stride 2x1, valid"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct occlusion_config c = {cases[k].window_h, cases[k].window_w,
                                     cases[k].stride_h, cases[k].stride_w,
                                     cases[k].valid, 1, 0, 0};
        occlusion_grid(&c, 13, 11);
        int good = 1;
        for (int i = 0; i < c.rows; i++)
            for (int j = 0; j < c.columns; j++) {
                int r, q, t, l, b, rt;
                occlusion_centre(&c, i, j, &r, &q);
                occlusion_window(&c, 13, 11, i, j, &t, &l, &b, &rt);
                int wt = r - (c.window_h - 1) / 2, wb = r + c.window_h / 2 + 1;
                int wl = q - (c.window_w - 1) / 2, wr = q + c.window_w / 2 + 1;
                wt = wt < 0 ? 0 : wt;
                wl = wl < 0 ? 0 : wl;
                wb = wb > 13 ? 13 : wb;
                wr = wr > 11 ? 11 : wr;
                if (t != wt || b != wb || l != wl || rt != wr)
                    good = 0;
            }
        ok(good && c.rows > 0 && c.columns > 0,
           "%s: every cell's window is as documented (%dx%d cells)",
           cases[k].what, c.rows, c.columns);
        check_cell(&c, 13, 11, c.rows - 1, c.columns - 1, cases[k].what);
    }
    return done_testing();
}
