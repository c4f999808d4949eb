"""Builds the demo diagnosis models, byte for byte the same on every run.

    python models/demo-spots/make_model.py OUT.onnx [classify|detect|segment]

No credible medical model is in any registry, so this one is drawn by hand: it marks
small bright spots (a centre-surround filter on brightness, the way exudates or
calcifications stand out) and scores an image by its strongest spot region. It is a
demo of the pipeline — classify with a heat map, detect with boxes (demo-spots-det), or
segment with a mask — and says so in its manifest; it is not for clinical use. Weights
are formulas, not training, so nothing is downloaded.
"""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SIDE = 224
# Centre-surround (difference of Gaussians) on brightness in [-1, 1].
CENTRE_SIGMA, SURROUND_SIGMA, KERNEL = 1.5, 4.0, 25
# A pixel counts as spot-like from this centre-surround response on ...
SPOT_LEVEL, SPOT_GAIN = 0.12, 40.0
# ... and an image is "spots present" when a 9-pixel neighbourhood is mostly spot-like.
NEIGHBOURHOOD = 9
PRESENT_LEVEL, PRESENT_GAIN = 0.35, 12.0
# Detection: the strongest local peaks of the neighbourhood map, a box around each.
PEAK_WINDOW, BOXES, BOX_HALF = 15, 5, 12


def gaussian(sigma):
    r = np.arange(KERNEL) - KERNEL // 2
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
    return g / g.sum()


def const(name, value):
    return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)


def spot_nodes():
    """Brightness, centre-surround, the per-pixel spot map and its 9-pixel average."""
    pad = KERNEL // 2
    return [
        helper.make_node("Conv", ["image", "luma_w"], ["luma"]),
        helper.make_node("Conv", ["luma", "dog_w"], ["dog"], pads=[pad] * 4),
        helper.make_node("Sub", ["dog", "spot_level"], ["dog_shift"]),
        helper.make_node("Mul", ["dog_shift", "spot_gain"], ["dog_scaled"]),
        helper.make_node("Sigmoid", ["dog_scaled"], ["heatmap"]),
        helper.make_node(
            "AveragePool",
            ["heatmap"],
            ["neighbourhood"],
            kernel_shape=[NEIGHBOURHOOD] * 2,
            pads=[NEIGHBOURHOOD // 2] * 4,
            count_include_pad=0,
        ),
    ]


def spot_weights():
    luma = np.array([0.299, 0.587, 0.114], dtype=np.float32).reshape(1, 3, 1, 1)
    dog = (gaussian(CENTRE_SIGMA) - gaussian(SURROUND_SIGMA)).astype(np.float32)
    return [
        const("luma_w", luma),
        const("dog_w", dog.reshape(1, 1, KERNEL, KERNEL)),
        const("spot_level", SPOT_LEVEL),
        const("spot_gain", SPOT_GAIN),
        const("present_level", PRESENT_LEVEL),
        const("present_gain", PRESENT_GAIN),
    ]


def presence(source, out):
    """present = sigmoid(gain * (source - level)), elementwise."""
    return [
        helper.make_node("Sub", [source, "present_level"], [out + "_shift"]),
        helper.make_node("Mul", [out + "_shift", "present_gain"], [out + "_scaled"]),
        helper.make_node("Sigmoid", [out + "_scaled"], [out]),
    ]


def image_input():
    return [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, SIDE, SIDE])]


def build():
    nodes = spot_nodes() + [
        helper.make_node("GlobalMaxPool", ["neighbourhood"], ["strongest"]),
        helper.make_node("Flatten", ["strongest"], ["strongest_flat"]),
        *presence("strongest_flat", "present"),
        helper.make_node("Sub", ["one", "present"], ["absent"]),
        helper.make_node("Concat", ["absent", "present"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "demo-spots",
        image_input(),
        [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 2]),
            helper.make_tensor_value_info("heatmap", TensorProto.FLOAT, [1, 1, SIDE, SIDE]),
        ],
        initializer=spot_weights() + [const("one", 1.0)],
    )
    return finish(graph)


def build_detect():
    """Boxes [BOXES, 6]: x0, y0, x1, y1 in input pixels, score, class."""
    ints = lambda name, value: numpy_helper.from_array(np.asarray(value, dtype=np.int64), name)
    nodes = spot_nodes() + [
        helper.make_node("MaxPool", ["neighbourhood"], ["pooled"], kernel_shape=[PEAK_WINDOW] * 2,
                         pads=[PEAK_WINDOW // 2] * 4),
        helper.make_node("Equal", ["neighbourhood", "pooled"], ["is_peak"]),
        helper.make_node("Cast", ["is_peak"], ["peak_mask"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["peak_mask", "neighbourhood"], ["peaks"]),
        helper.make_node("Reshape", ["peaks", "flat_shape"], ["peaks_flat"]),
        helper.make_node("TopK", ["peaks_flat", "k"], ["top", "top_index"], axis=1),
        helper.make_node("Reshape", ["top", "column"], ["top_column"]),
        *presence("top_column", "score"),
        helper.make_node("Reshape", ["top_index", "column"], ["index_column"]),
        helper.make_node("Div", ["index_column", "side_int"], ["row"]),
        helper.make_node("Mod", ["index_column", "side_int"], ["col"]),
        helper.make_node("Cast", ["row"], ["y"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["col"], ["x"], to=TensorProto.FLOAT),
        helper.make_node("Sub", ["x", "half"], ["x0_raw"]),
        helper.make_node("Sub", ["y", "half"], ["y0_raw"]),
        helper.make_node("Add", ["x", "half"], ["x1_raw"]),
        helper.make_node("Add", ["y", "half"], ["y1_raw"]),
        *[helper.make_node("Clip", [f"{v}_raw", "zero", "last"], [v]) for v in ["x0", "y0", "x1", "y1"]],
        helper.make_node("Mul", ["score", "zero"], ["class"]),
        helper.make_node("Concat", ["x0", "y0", "x1", "y1", "score", "class"], ["boxes"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "demo-spots-det",
        image_input(),
        [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [BOXES, 6])],
        initializer=spot_weights() + [
            ints("flat_shape", [1, SIDE * SIDE]),
            ints("k", [BOXES]),
            ints("column", [BOXES, 1]),
            ints("side_int", SIDE),
            const("half", BOX_HALF),
            const("zero", 0.0),
            const("last", SIDE - 1),
        ],
    )
    return finish(graph)


def build_segment():
    """Mask [1, 2, H, W]: background and bright spot, per pixel."""
    nodes = spot_nodes() + [
        *presence("neighbourhood", "spot"),
        helper.make_node("Sub", ["one", "spot"], ["background"]),
        helper.make_node("Concat", ["background", "spot"], ["mask"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "demo-spots-seg",
        image_input(),
        [helper.make_tensor_value_info("mask", TensorProto.FLOAT, [1, 2, SIDE, SIDE])],
        initializer=spot_weights() + [const("one", 1.0)],
    )
    return finish(graph)


def finish(graph):
    model = helper.make_model(
        graph,
        producer_name="secondread-demo",
        producer_version="1",
        opset_imports=[helper.make_opsetid("", 17)],
    )
    model.ir_version = 8
    model.doc_string = "Demo, not for clinical use: bright-spot detector drawn by hand."
    onnx.checker.check_model(model)
    return model


BUILDERS = {"classify": build, "detect": build_detect, "segment": build_segment}

if __name__ == "__main__":
    onnx.save(BUILDERS[sys.argv[2] if len(sys.argv) > 2 else "classify"](), sys.argv[1])
