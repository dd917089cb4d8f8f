/* PDFium's per-character text-page calls, run in a C loop over many characters.

A page of a monthly report has a few thousand characters and PDFium answers one
character per call. Made from Python through ctypes, each call costs more than
PDFium's own work; this module makes the same calls from C, so that a page costs
one Python call per question instead of one per character.

The PDFium functions are passed in by address (the ones pypdfium2 has loaded), so
this module neither links to PDFium nor needs its headers: it only knows their C
signatures, which are part of PDFium's stable public API (fpdf_text.h, and
fpdf_edit.h for the page objects). The loops hold the GIL: PDFium is not
thread-safe.

    FPDF_BOOL FPDFText_GetLooseCharBox(FPDF_TEXTPAGE, int index, FS_RECTF *rect);
    FPDF_PAGEOBJECT FPDFText_GetTextObject(FPDF_TEXTPAGE, int index);
    double FPDFText_GetFontSize(FPDF_TEXTPAGE, int index);
    FPDF_FONT FPDFTextObj_GetFont(FPDF_PAGEOBJECT text);
    FPDF_PAGEOBJECT FPDFPage_GetObject(FPDF_PAGE, int index);
    int FPDFPageObj_GetType(FPDF_PAGEOBJECT);
    FPDF_BOOL FPDFPageObj_GetBounds(FPDF_PAGEOBJECT, float *left, float *bottom,
                                    float *right, float *top);
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <stdint.h>

typedef int (*loose_box_fn)(void *textpage, int index, float *rect);
typedef void *(*text_object_fn)(void *textpage, int index);
typedef double (*font_size_fn)(void *textpage, int index);
typedef void *(*object_font_fn)(void *object);
typedef void *(*page_object_fn)(void *page, int index);
typedef int (*object_type_fn)(void *object);
typedef int (*object_bounds_fn)(void *object, float *left, float *bottom, float *right,
                                float *top);

/* A C-contiguous buffer of `itemsize`-byte items (writable when asked). */
static int
get_items(PyObject *object, Py_buffer *view, Py_ssize_t itemsize, int writable, const char *what)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object, view, flags) < 0)
        return -1;
    if (view->itemsize != itemsize) {
        PyErr_Format(PyExc_TypeError, "%s: items of %zd bytes expected, got %zd", what, itemsize,
                     view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static int
get_address(PyObject *object, void **out, const char *what)
{
    *out = PyLong_AsVoidPtr(object);
    if (*out == NULL) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_ValueError, "%s: a null address", what);
        return -1;
    }
    return 0;
}

/* The arguments of every call: (function, textpage, indices, out), the indices int32
   and `out` writable items of `out_itemsize` bytes. */
static int
get_call(PyObject *const *args, Py_ssize_t nargs, const char *usage, Py_ssize_t out_itemsize,
         void **function, void **textpage, Py_buffer *indices, Py_buffer *out)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, usage);
        return -1;
    }
    if (get_address(args[0], function, "function") < 0 ||
        get_address(args[1], textpage, "textpage") < 0)
        return -1;
    if (get_items(args[2], indices, 4, 0, "indices") < 0)
        return -1;
    if (get_items(args[3], out, out_itemsize, 1, "out") < 0) {
        PyBuffer_Release(indices);
        return -1;
    }
    return 0;
}

static void
release(Py_buffer *indices, Py_buffer *out)
{
    PyBuffer_Release(indices);
    PyBuffer_Release(out);
}

/* loose_boxes(function, textpage, indices, out): for every character index i in
   `indices` (int32), PDFium's loose box of character i into out[4*i:4*i+4] (float32:
   left, top, right, bottom). Checks every index before the first call. Returns how
   many calls PDFium answered false. */
static PyObject *
loose_boxes(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    void *function, *textpage;
    Py_buffer indices, out;
    if (get_call(args, nargs, "loose_boxes(function, textpage, indices, out)", 4, &function,
                 &textpage, &indices, &out) < 0)
        return NULL;
    const int32_t *at = indices.buf;
    float *rects = out.buf;
    Py_ssize_t n = indices.len / 4, slots = out.len / 16;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (at[k] < 0 || at[k] >= slots) {
            PyErr_Format(PyExc_IndexError, "character %d outside a buffer of %zd boxes", at[k],
                         slots);
            release(&indices, &out);
            return NULL;
        }
    }
    long failed = 0;
    loose_box_fn call = (loose_box_fn)function;
    for (Py_ssize_t k = 0; k < n; k++)
        failed += !call(textpage, at[k], rects + 4 * (Py_ssize_t)at[k]);
    release(&indices, &out);
    return PyLong_FromLong(failed);
}

/* text_styles((get_object, get_size, get_font), textpage, indices, objects, sizes, fonts):
   for each character indices[k] (int32), the address of the text object it belongs to
   (objects[k], uint64, 0 for none), its font size (sizes[k], float64) and its text
   object's font handle (fonts[k], uint64, 0 where it has no object); the functions are
   FPDFText_GetTextObject, FPDFText_GetFontSize and FPDFTextObj_GetFont. */
static PyObject *
text_styles(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    void *get_object, *get_size, *get_font, *textpage;
    Py_buffer indices, objects, sizes, fonts;
    if (nargs != 6 || !PyTuple_Check(args[0]) || PyTuple_GET_SIZE(args[0]) != 3) {
        PyErr_SetString(PyExc_TypeError, "text_styles((get_object, get_size, get_font), "
                                         "textpage, indices, objects, sizes, fonts)");
        return NULL;
    }
    if (get_address(PyTuple_GET_ITEM(args[0], 0), &get_object, "get_object") < 0 ||
        get_address(PyTuple_GET_ITEM(args[0], 1), &get_size, "get_size") < 0 ||
        get_address(PyTuple_GET_ITEM(args[0], 2), &get_font, "get_font") < 0 ||
        get_address(args[1], &textpage, "textpage") < 0)
        return NULL;
    if (get_items(args[2], &indices, 4, 0, "indices") < 0)
        return NULL;
    if (get_items(args[3], &objects, 8, 1, "objects") < 0) {
        PyBuffer_Release(&indices);
        return NULL;
    }
    if (get_items(args[4], &sizes, 8, 1, "sizes") < 0) {
        release(&indices, &objects);
        return NULL;
    }
    if (get_items(args[5], &fonts, 8, 1, "fonts") < 0) {
        release(&indices, &objects);
        PyBuffer_Release(&sizes);
        return NULL;
    }
    Py_ssize_t n = indices.len / 4;
    PyObject *result = NULL;
    if (objects.len / 8 < n || sizes.len / 8 < n || fonts.len / 8 < n) {
        PyErr_Format(PyExc_IndexError, "%zd characters for %zd slots", n,
                     Py_MIN(objects.len, Py_MIN(sizes.len, fonts.len)) / 8);
        goto done;
    }
    const int32_t *at = indices.buf;
    uint64_t *owner = objects.buf, *font = fonts.buf;
    double *size = sizes.buf;
    for (Py_ssize_t k = 0; k < n; k++) {
        void *object = ((text_object_fn)get_object)(textpage, at[k]);
        owner[k] = (uint64_t)(uintptr_t)object;
        size[k] = ((font_size_fn)get_size)(textpage, at[k]);
        font[k] = object ? (uint64_t)(uintptr_t)((object_font_fn)get_font)(object) : 0;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    release(&indices, &objects);
    release(&sizes, &fonts);
    return result;
}

/* object_bounds(functions, page, count, type, out): the bounds (float32 left, bottom,
   right, top) of those of a page's first `count` objects whose type is `type`, into
   `out` (4 floats an object, room for `count`), in the page's order; `functions` is
   (FPDFPage_GetObject, FPDFPageObj_GetType, FPDFPageObj_GetBounds). Where PDFium has
   no bounds for an object it gets the bounds before it (zeros for the first). Returns
   how many objects were written. */
static PyObject *
object_bounds(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    void *get, *type_of, *bounds_of, *page;
    Py_buffer out;
    if (nargs != 5 || !PyTuple_Check(args[0]) || PyTuple_GET_SIZE(args[0]) != 3) {
        PyErr_SetString(PyExc_TypeError,
                        "object_bounds((get_object, get_type, get_bounds), page, count, type, out)");
        return NULL;
    }
    if (get_address(PyTuple_GET_ITEM(args[0], 0), &get, "get_object") < 0 ||
        get_address(PyTuple_GET_ITEM(args[0], 1), &type_of, "get_type") < 0 ||
        get_address(PyTuple_GET_ITEM(args[0], 2), &bounds_of, "get_bounds") < 0 ||
        get_address(args[1], &page, "page") < 0)
        return NULL;
    long count = PyLong_AsLong(args[2]), wanted = PyLong_AsLong(args[3]);
    if (PyErr_Occurred())
        return NULL;
    if (count > INT_MAX || wanted < INT_MIN || wanted > INT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "count or type outside a C int");
        return NULL;
    }
    if (get_items(args[4], &out, 4, 1, "out") < 0)
        return NULL;
    if (count < 0 || out.len / 16 < count) {
        PyErr_Format(PyExc_IndexError, "%ld objects for %zd slots", count, out.len / 16);
        PyBuffer_Release(&out);
        return NULL;
    }
    float *rects = out.buf;
    float left = 0, bottom = 0, right = 0, top = 0;
    Py_ssize_t written = 0;
    for (int k = 0; k < count; k++) {
        void *object = ((page_object_fn)get)(page, k);
        if (((object_type_fn)type_of)(object) != wanted)
            continue;
        ((object_bounds_fn)bounds_of)(object, &left, &bottom, &right, &top);
        float *rect = rects + 4 * written++;
        rect[0] = left, rect[1] = bottom, rect[2] = right, rect[3] = top;
    }
    PyBuffer_Release(&out);
    return PyLong_FromSsize_t(written);
}

static PyMethodDef methods[] = {
    {"loose_boxes", (PyCFunction)(void (*)(void))loose_boxes, METH_FASTCALL,
     "PDFium loose character boxes of many characters."},
    {"text_styles", (PyCFunction)(void (*)(void))text_styles, METH_FASTCALL,
     "PDFium text objects, font sizes and fonts of many characters."},
    {"object_bounds", (PyCFunction)(void (*)(void))object_bounds, METH_FASTCALL,
     "PDFium bounds of a page's objects of one type."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_charcalls", "PDFium's per-character calls in a C loop.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__charcalls(void)
{
    return PyModule_Create(&module);
}
