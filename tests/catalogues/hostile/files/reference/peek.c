/* The attacker's extension module: read(path) -> bytes, with libc's open(), which no Python audit hook sees.
   Built by the catalogue with: cc -shared -fPIC -DMODULE=<name> -I<Python include> peek.c -o <name><EXT_SUFFIX> */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#define CAT(a, b) a##b
#define INIT(name) CAT(PyInit_, name)
#define STR(x) #x
#define NAME(x) STR(x)

static PyObject *peek_read(PyObject *self, PyObject *args) {
    const char *path;
    if (!PyArg_ParseTuple(args, "s", &path))
        return NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
    size_t cap = 1 << 20, size = 0;
    char *buffer = malloc(cap);
    ssize_t n;
    while (buffer && size < cap && (n = read(fd, buffer + size, cap - size)) > 0)
        size += (size_t)n;
    close(fd);
    PyObject *out = buffer ? PyBytes_FromStringAndSize(buffer, (Py_ssize_t)size) : PyErr_NoMemory();
    free(buffer);
    return out;
}

static PyMethodDef methods[] = {{"read", peek_read, METH_VARARGS, "a file's bytes, read with libc"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, NAME(MODULE), NULL, -1, methods};

PyMODINIT_FUNC INIT(MODULE)(void) { return PyModule_Create(&module); }
