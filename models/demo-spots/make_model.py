"""Builds the demo diagnosis model, byte for byte the same on every run.

    python models/demo-spots/make_model.py OUT.onnx

No credible medical model is in any registry, so this one is drawn by hand: it marks
small bright spots (a centre-surround filter on brightness, the way exudates or
calcifications stand out) and scores an image by its strongest spot region. It is a
demo of the pipeline — classify with a heat map — and says so in its manifest; it is
not for clinical use. Weights are formulas, not training, so nothing is downloaded.
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


def gaussian(sigma):
    r = np.arange(KERNEL) - KERNEL // 2
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
    return g / g.sum()


def const(name, value):
    return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)


def build():
    luma = np.array([0.299, 0.587, 0.114], dtype=np.float32).reshape(1, 3, 1, 1)
    dog = (gaussian(CENTRE_SIGMA) - gaussian(SURROUND_SIGMA)).astype(np.float32)
    pad = KERNEL // 2
    nodes = [
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
        helper.make_node("GlobalMaxPool", ["neighbourhood"], ["strongest"]),
        helper.make_node("Flatten", ["strongest"], ["strongest_flat"]),
        helper.make_node("Sub", ["strongest_flat", "present_level"], ["present_shift"]),
        helper.make_node("Mul", ["present_shift", "present_gain"], ["present_scaled"]),
        helper.make_node("Sigmoid", ["present_scaled"], ["present"]),
        helper.make_node("Sub", ["one", "present"], ["absent"]),
        helper.make_node("Concat", ["absent", "present"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "demo-spots",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, SIDE, SIDE])],
        [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 2]),
            helper.make_tensor_value_info("heatmap", TensorProto.FLOAT, [1, 1, SIDE, SIDE]),
        ],
        initializer=[
            const("luma_w", luma),
            const("dog_w", dog.reshape(1, 1, KERNEL, KERNEL)),
            const("spot_level", SPOT_LEVEL),
            const("spot_gain", SPOT_GAIN),
            const("present_level", PRESENT_LEVEL),
            const("present_gain", PRESENT_GAIN),
            const("one", 1.0),
        ],
    )
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


if __name__ == "__main__":
    onnx.save(build(), sys.argv[1])
