#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora into fuzz/corpus/<target>/.

Valid files built from the formats' documentation (docs/model-format.md,
the IDX and CSV descriptions in include/backprop.h), and a few damaged
ones near the edges the loaders check. Deterministic: running it again
rewrites the same bytes. Usage: python3 fuzz/make_corpus.py
"""
import gzip
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    directory = os.path.join(ROOT, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def gz(data):
    # mtime 0: the same bytes on every run.
    return gzip.compress(data, compresslevel=9, mtime=0)


def with_crc(body):
    return body + struct.pack("<I", zlib.crc32(body))


def scaler(kind, offsets, scales):
    return (struct.pack("<IQ", kind, len(offsets))
            + b"".join(struct.pack("<f", v) for v in offsets)
            + b"".join(struct.pack("<f", v) for v in scales))


def section(task=0, inputs=None, targets=None, names=None, version=None, flags=None,
            input_names=None, output_names=None, skipped=None):
    """The preprocessing section of format version 2 (docs/model-format.md):
    section version 1, or 2 with a schema (input and output column names,
    skipped column count)."""
    schema = input_names is not None or output_names is not None or skipped is not None
    if version is None:
        version = 2 if schema else 1
    if flags is None:
        flags = ((1 if inputs else 0) | (2 if targets else 0) | (4 if names else 0)
                 | (8 if input_names is not None else 0) | (16 if output_names is not None else 0)
                 | (32 if skipped is not None else 0))
    body = struct.pack("<III", version, task, flags)
    body += (inputs or b"") + (targets or b"")
    if names:
        body += struct.pack("<Q", len(names))
        body += b"".join(struct.pack("<I", len(n)) + n for n in names)
    for column_names in (input_names, output_names):
        if column_names is not None:
            body += b"".join(struct.pack("<I", len(n)) + n for n in column_names)
    if skipped is not None:
        body += struct.pack("<Q", skipped)
    return body


def model(sizes, acts, loss=0, version=1, mark=0x01020304, params=None, count=None,
          prep=None, prep_length=None):
    n = len(acts)
    body = b"BPMODEL\0" + struct.pack("<IIII", version, mark, n, loss)
    body += b"".join(struct.pack("<Q", s) for s in sizes)
    body += b"".join(struct.pack("<I", a) for a in acts)
    p = sum(sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, len(sizes)))
    body += struct.pack("<Q", p if count is None else count)
    if params is None:
        params = [((i * 37) % 11 - 5) / 8.0 for i in range(p)]
    body += b"".join(struct.pack("<f", v) for v in params)
    if prep is not None:
        body += struct.pack("<Q", len(prep) if prep_length is None else prep_length) + prep
    return with_crc(body)


def optimizer(kind, schedule=0, floats=(0.01, 0.9, 0.9, 0.999, 1e-8, 0.0, 0.5),
              step_size=10, total_steps=100, t=3, n=17, state=None):
    s = {0: 0, 1: n, 2: n, 3: 2 * n}[kind] if state is None else state
    body = b"BPOPTIM\0" + struct.pack("<III", 1, 0x01020304, kind)
    body += struct.pack("<I", schedule)
    body += b"".join(struct.pack("<f", v) for v in floats)
    body += struct.pack("<QQQQQ", step_size, total_steps, t, n, s)
    body += b"".join(struct.pack("<f", ((i * 7) % 5) / 16.0) for i in range(s))
    return with_crc(body)


def idx(dims, data):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + data


def idx_input(images, labels):
    """The fuzz_idx.c layout: split point, images, labels."""
    return struct.pack("<I", len(images)) + images + labels


def models():
    write("model", "identity_1_1", model([1, 1], [0], params=[0.5, -1.0]))
    write("model", "sigmoid_2_3_1", model([2, 3, 1], [1, 1]))
    write("model", "softmax_cross_entropy_3_4_3", model([3, 4, 3], [3, 5], loss=1))
    write("model", "four_layers", model([2, 2, 2, 2, 2], [2, 4, 3, 0]))
    good = model([2, 3, 1], [1, 1])
    write("model", "damaged_truncated", good[:-7])
    write("model", "damaged_wrong_crc", good[:-1] + bytes([good[-1] ^ 1]))
    write("model", "damaged_version_2", model([1, 1], [0], version=2))
    write("model", "damaged_big_endian_mark", model([1, 1], [0], mark=0x04030201))
    write("model", "damaged_huge_size", model([1, 0x7FFFFFFF], [0], params=[]))
    write("model", "damaged_zero_size", model([2, 0, 1], [1, 1], params=[]))
    write("model", "damaged_nan", model([1, 1], [0], params=[float("nan"), 1.0]))
    # Version 2: a preprocessing section after the parameters.
    standard = scaler(1, [0.5, -2.0, 10.0], [2.0, 0.25, 1.0])
    names = [b"setosa", b"versicolor", b"virginica"]
    write("model", "v2_classes_scaled", model([3, 4, 3], [3, 5], loss=1, version=2,
                                              prep=section(0, standard, names=names)))
    write("model", "v2_regression", model([3, 2, 2], [3, 0], version=2,
                                          prep=section(1, standard, scaler(0, [1, 2], [0.5, 4]))))
    write("model", "v2_empty_section", model([1, 1], [0], version=2, prep=section()))
    write("model", "damaged_v2_section_length", model([3, 4, 3], [3, 5], version=2,
                                                      prep=section(0, standard), prep_length=7))
    write("model", "damaged_v2_zero_scale", model([3, 4, 3], [3, 5], version=2,
                                                  prep=section(0, scaler(1, [0, 0, 0], [1, 0, 1]))))
    write("model", "damaged_v2_names_past_outputs", model([1, 2], [5], loss=1, version=2,
                                                          prep=section(0, names=names)))
    write("model", "damaged_v2_flags_for_task", model([1, 1], [0], version=2,
                                                      prep=section(1, names=[b"a"])))
    write("model", "damaged_v2_control_name", model([1, 2], [5], version=2,
                                                    prep=section(0, names=[b"a", b"b\nc"])))
    # Section version 2: the schema (input names, label or target names,
    # skipped columns).
    columns = [b"sepal length", b"sepal width", b"petal"]
    write("model", "v2_schema_classes", model([3, 4, 3], [3, 5], loss=1, version=2, prep=section(
        0, standard, names=names, input_names=columns, output_names=[b"species"], skipped=1)))
    write("model", "v2_schema_regression", model([3, 2, 2], [3, 0], version=2, prep=section(
        1, standard, scaler(0, [1, 2], [0.5, 4]), input_names=columns,
        output_names=[b"y1", b"y2"])))
    write("model", "v2_schema_skipped_only", model([1, 1], [0], version=2,
                                                   prep=section(skipped=3)))
    write("model", "damaged_v2_schema_in_version_1", model([3, 4, 3], [3, 5], version=2, prep=section(
        0, input_names=columns, version=1)))
    write("model", "damaged_v2_version_2_without_schema", model([1, 1], [0], version=2,
                                                                prep=section(version=2)))
    write("model", "damaged_v2_schema_repeated_name", model([3, 4, 3], [3, 5], version=2,
                                                            prep=section(0, input_names=[
                                                                b"a", b"b", b"a"])))
    write("model", "damaged_v2_schema_blank_name", model([3, 4, 3], [3, 5], version=2,
                                                         prep=section(0, input_names=[
                                                             b"a", b"b ", b"c"])))
    write("model", "damaged_v2_schema_short_names", model([3, 4, 3], [3, 5], version=2,
                                                          prep=section(0, input_names=[b"a", b"b"])))
    write("model", "damaged_v2_schema_zero_skipped", model([1, 1], [0], version=2,
                                                           prep=section(skipped=0)))
    write("model", "damaged_v2_schema_huge_skipped", model([1, 1], [0], version=2,
                                                           prep=section(skipped=2**63)))
    write("model", "damaged_v2_schema_name_length", model([1, 1], [0], version=2, prep=section(
        0, input_names=[b"a"])[:-5] + struct.pack("<I", 0xFFFFFFFF) + b"a"))


def optimizers():
    write("optimizer", "sgd", optimizer(0))
    write("optimizer", "momentum_step", optimizer(1, schedule=1))
    write("optimizer", "nesterov", optimizer(2))
    write("optimizer", "adam_cosine", optimizer(3, schedule=2))
    good = optimizer(3)
    write("optimizer", "damaged_truncated", good[:60])
    write("optimizer", "damaged_wrong_crc", good[:-1] + bytes([good[-1] ^ 0x80]))
    write("optimizer", "damaged_other_params", optimizer(1, n=5))
    write("optimizer", "damaged_state_count", optimizer(1, state=16))
    write("optimizer", "damaged_bad_config", optimizer(1, floats=(-1, 2, 0, 0, 0, -1, 3)))


def idxs():
    pixels = bytes((i * 29) % 256 for i in range(5 * 2 * 3))
    images = idx([5, 2, 3], pixels)
    labels = idx([5], bytes([3, 0, 2, 1, 3]))
    write("idx", "plain", idx_input(images, labels))
    write("idx", "gzip_both", idx_input(gz(images), gz(labels)))
    write("idx", "gzip_images", idx_input(gz(images), labels))
    write("idx", "two_gzip_members", idx_input(gz(images[:9]) + gz(images[9:]), labels))
    write("idx", "one_dimension", idx_input(idx([4], bytes([1, 2, 3, 4])),
                                            idx([4], bytes([0, 1, 0, 1]))))
    write("idx", "four_dimensions", idx_input(idx([2, 1, 2, 2], bytes(range(8))),
                                              idx([2], bytes([7, 9]))))
    write("idx", "damaged_truncated_gzip", idx_input(gz(images)[:-6], labels))
    write("idx", "damaged_huge_dimensions",
          idx_input(idx([0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], b""), labels))
    write("idx", "damaged_zero_dimension", idx_input(idx([5, 0, 3], b""), labels))
    write("idx", "damaged_count_mismatch", idx_input(images, idx([4], bytes(4))))


def csvs():
    write("csv", "plain", b"1,0.5,2\n0,-1e3,7.25\n2,3,4\n")
    write("csv", "header_crlf", b"label,x,y\r\n1,2,3\r\n0,4,5\r\n\r\n")
    write("csv", "bom_blanks_no_newline", b"\xef\xbb\xbf 3 ,\t1.5, 2\n1,0x1p3,-0")
    write("csv", "damaged_ragged", b"1,2,3\n1,2\n")
    write("csv", "damaged_fields", b"1,nan,2\n1e9,,inf\n-1,3a,4\n")
    write("csv", "damaged_nul_and_gap", b"1,2\n\n3,4\n5,\x006\n")
    write("csv", "words_labels_missing", b"x,y,species\n1,,setosa\n2,3,virginica\n,4,setosa\n")
    write("csv", "index_header", b",0,1,2\n0,1.5,2,3\n1,2.5,NA,4\n")
    write("csv", "damaged_hex_range_typo", b"1,2,x7\n0x10,1e-400,3\n")
    write("csv", "damaged_cr_only", b"a,b\r1,2\r3,4\r")
    write("csv", "named_columns", b"b,a,c,label\n1,2,3,p\n4,5,6,q\n7,8,9,p\n")
    write("csv", "named_repeated", b"a,a,label\n1,2,p\n3,4,q\n")
    write("csv", "labels_spelled_twice", b"x,y\n1,01\n2,1\n3,007\n4,1.0\n5,-0\n6,0\n")
    write("csv", "damaged_index_header", b"0,1\n2,0\n1,1\n")
    write("csv", "damaged_one_class", b"x,y\n1,a\n2,a\n")


if __name__ == "__main__":
    models()
    optimizers()
    idxs()
    csvs()
