"""Why a keras-hub layer fails a check: the defects several layers share, worded once.

Each is a real defect of keras-hub 0.32's layer, as the plugin's README lists under "Findings".
"""

DATA_FORMAT_NOT_SAVED = (
    "ImageConverter.get_config leaves out data_format, so a converter built with "
    "data_format='channels_first' comes back from its config as channels_last"
)
ANTIALIASED_RESIZE = (
    "resizes with antialias=True, i.e. TensorFlow's ScaleAndTranslate op, which XLA cannot "
    "compile (No registered 'ScaleAndTranslate' OpKernel for XLA_CPU_JIT)"
)
FLOAT32_WHATEVER_THE_POLICY = (
    "returns float32 under the mixed_float16 policy although its compute dtype is float16: "
    "it casts to float32 instead of following its dtype policy"
)
ONE_IMAGE_PER_CALL = (
    "converts one image of shape (height, width, 3) per call, not a batch: the example's "
    "first axis is the image's height, and the outputs (patches, grid_thw) have no batch axis"
)
ONE_VIDEO_PER_CALL = (
    "converts one video of shape (frames, height, width, 3) per call, not a batch: frames are "
    "grouped in temporal patches of 2, so another first axis gives other patches"
)
PYTHON_LISTS = (
    "an eager call returns nested Python lists (keras-hub's pure-Python path, ragged by "
    "nature), not tensors; only inside tf.function or tf.data does it return tensors"
)
SYMBOLIC_FLOAT32_TOKENS = (
    "a symbolic call declares float32 token ids (its output spec takes the layer's float "
    "dtype) while the call returns int32, so a functional model gets the wrong dtype"
)
NOT_TRACEABLE_ON_JAX = (
    "cannot be traced under the JAX backend: a symbolic call or jax.jit turns a traced value "
    "into a concrete one, and JAX's own error then fails (AttributeError: 'str' object has no "
    "attribute '_error_repr')"
)
