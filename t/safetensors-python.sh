#!/bin/sh
# safetensors interoperability with Python (TAP):
#  - numpy (and torch, when importable) read a file cnnlab wrote: names in
#    order, shapes, exact values, metadata, 8-byte alignment of the data;
#  - cnnlab reads a file Python wrote by hand with an unpadded header (so
#    the data area sits at an unaligned offset) and tensors stored out of
#    header order, and rejects an F16 file with a clear message.
# The C side is t/test-safetensors --write/--read. torch 1.13 has no
# safetensors loader, so both readers parse the header themselves.
python=/usr/bin/python3
if [ ! -x "$python" ]; then
    echo "1..0 # SKIP $python not found"
    exit 0
fi
if ! "$python" -c 'import numpy' >/dev/null 2>&1; then
    echo "1..0 # SKIP numpy is not installed for $python"
    exit 0
fi
helper="${CNNLAB_BUILDDIR:-.}/t/test-safetensors"
work=$(mktemp -d "${TMPDIR:-/tmp}/cnnlab-st-python-XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT HUP INT TERM

"$python" - "$helper" "$work" <<'PYTHON'
import json
import os
import subprocess
import sys

import numpy as np

helper, work = sys.argv[1], sys.argv[2]
count = 0
failed = 0


def ok(passed, what, detail=None):
    global count, failed
    count += 1
    if not passed:
        failed += 1
    print("%sok %d - %s" % ("" if passed else "not ", count, what))
    if not passed and detail:
        for line in str(detail).splitlines():
            print("#   " + line)
    sys.stdout.flush()
    return passed


def skip(what, why):
    global count
    count += 1
    print("ok %d - %s # SKIP %s" % (count, what, why))


def parse(path):
    """(header dict in file order, data area bytes, header length)."""
    with open(path, "rb") as stream:
        raw = stream.read()
    length = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + length].decode("utf-8"))
    return header, raw[8 + length:], length


# What t/test-safetensors --write produces (see fill_reference there);
# every value is a multiple of 1/8, exact in float32.
expected = {
    "conv1.weight": (np.arange(24, dtype=np.float32) * np.float32(0.5)
                     - np.float32(3.0)).reshape(2, 3, 2, 2),
    "conv1.bias": np.array([0.25, -1.5], dtype=np.float32),
    "scalar": np.array(3.5, dtype=np.float32),
    "empty": np.zeros((0, 3), dtype=np.float32),
    "fc.weight": ((np.arange(12) % 7).astype(np.float32)
                  - np.float32(2.125)).reshape(3, 4),
}
expected_metadata = {"epoch": "7", "format": "pt"}

# ---- cnnlab writes, Python reads ------------------------------------
written = os.path.join(work, "from-cnnlab.safetensors")
run = subprocess.run([helper, "--write", written], capture_output=True,
                     text=True)
if not ok(run.returncode == 0, "t/test-safetensors --write succeeds",
          run.stderr):
    print("Bail out! cannot write the reference file with %s" % helper)
    sys.exit(1)

header, data, length = parse(written)
ok((8 + length) % 8 == 0, "the data area starts at a multiple of 8",
   "header length %d" % length)
ok(header.get("__metadata__") == expected_metadata, "metadata round trips",
   header.get("__metadata__"))
names = [name for name in header if name != "__metadata__"]
ok(names == list(expected), "tensor names in the order written", names)
ok(all(header[name]["dtype"] == "F32" for name in names), "every dtype is F32")

arrays = {}
for name in names:
    entry = header[name]
    begin, end = entry["data_offsets"]
    array = np.frombuffer(data[begin:end], dtype="<f4").reshape(
        entry["shape"])
    arrays[name] = array
    want = expected.get(name)
    ok(want is not None and array.shape == want.shape
       and np.array_equal(array, want),
       "numpy reads %s %s with exact values" % (name, list(array.shape)),
       "got %r" % array)
ends = sorted(tuple(header[name]["data_offsets"]) for name in names)
ok(ends[0][0] == 0 and all(a[1] == b[0] for a, b in zip(ends, ends[1:]))
   and ends[-1][1] == len(data),
   "tensors are contiguous and fill the data area exactly", ends)

try:
    import torch
except Exception as error:  # any import failure means: no torch here
    torch = None
    skip("torch reads the file", "torch is not importable (%s)" % error)
if torch is not None:
    for name in names:
        entry = header[name]
        begin, end = entry["data_offsets"]
        if end > begin:
            tensor = torch.frombuffer(bytearray(data[begin:end]),
                                      dtype=torch.float32)
        else:
            tensor = torch.empty(0, dtype=torch.float32)
        tensor = tensor.reshape(entry["shape"])
        ok(tuple(tensor.shape) == expected[name].shape
           and torch.equal(tensor, torch.from_numpy(expected[name].copy())),
           "torch %s reads %s exactly" % (torch.__version__, name))

# ---- Python writes (unpadded, out of order), cnnlab reads -------------
tensors = {
    "w": (np.arange(6, dtype=np.float32) * np.float32(0.25)
          - np.float32(0.5)).reshape(2, 3),
    "s": np.array(-7.75, dtype=np.float32),
    "z": np.zeros((0,), dtype=np.float32),
    "b": np.array([1.5, -2.25, 1e-3, 4096.0], dtype=np.float32),
}
store_order = ["b", "s", "z", "w"]  # data order differs from header order
offsets, blobs, offset = {}, [], 0
for name in store_order:
    blob = tensors[name].astype("<f4").tobytes()
    offsets[name] = [offset, offset + len(blob)]
    blobs.append(blob)
    offset += len(blob)
entries = {"__metadata__": {"source": "python"}}
for name in tensors:
    entries[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                     "data_offsets": offsets[name]}
text = json.dumps(entries)
while (8 + len(text)) % 4 == 0:  # make the data area unaligned
    text += " "
foreign = os.path.join(work, "from-python.safetensors")
with open(foreign, "wb") as stream:
    stream.write(len(text).to_bytes(8, "little"))
    stream.write(text.encode("utf-8"))
    stream.write(b"".join(blobs))
ok((8 + len(text)) % 4 != 0, "the Python file's data area is unaligned")

run = subprocess.run([helper, "--read", foreign, "source"],
                     capture_output=True, text=True)
ok(run.returncode == 0, "t/test-safetensors --read reads the Python file",
   run.stderr)
lines = run.stdout.splitlines()
want_lines = []
for name, array in tensors.items():
    shape = "[" + ", ".join(str(d) for d in array.shape) + "]"
    want_lines.append((name, shape, float(np.sum(array, dtype=np.float64))))
got_lines = []
for line in lines[:-1]:
    name, rest = line.split(" ", 1)
    shape, total = rest.rsplit(" ", 1)
    got_lines.append((name, shape, float(total)))
ok([g[:2] for g in got_lines] == [w[:2] for w in want_lines],
   "cnnlab sees the names (header order) and shapes",
   "got %r\nwant %r" % (got_lines, want_lines))
# Sums of float32 values accumulated in double; %.9g printing loses at
# most 1e-8 relative.
ok(len(got_lines) == len(want_lines) and all(
    abs(g[2] - w[2]) <= 1e-7 * max(1.0, abs(w[2]))
    for g, w in zip(got_lines, want_lines)),
   "cnnlab reads the values (sums within 1e-7 relative)",
   "got %r\nwant %r" % (got_lines, want_lines))
ok(lines[-1:] == ["source=python"], "cnnlab reads the metadata", lines[-1:])

# ---- a dtype cnnlab does not read -------------------------------------
half = os.path.join(work, "half.safetensors")
text = json.dumps({"conv1.weight": {"dtype": "F16", "shape": [2],
                                    "data_offsets": [0, 4]}})
with open(half, "wb") as stream:
    stream.write(len(text).to_bytes(8, "little"))
    stream.write(text.encode("utf-8"))
    stream.write(np.array([1, 2], dtype="<f2").tobytes())
run = subprocess.run([helper, "--read", half], capture_output=True,
                     text=True)
ok(run.returncode != 0
   and "tensor 'conv1.weight' has dtype F16; cnnlab reads F32 (and I64 "
   "for integer buffers such as num_batches_tracked) only"
   in run.stderr and half in run.stderr,
   "an F16 file is refused with a clear message", run.stderr)

print("1..%d" % count)
sys.exit(1 if failed else 0)
PYTHON
exit $?
