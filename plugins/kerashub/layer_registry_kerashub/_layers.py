"""Per keras-hub layer: its example, input, tags, and the defects the kit finds in it.

Every example is small (batch 2, width 8 to 16, 16x16 images) so that it runs on a CPU in well
under a second. An expected failure is a real defect of keras-hub 0.32's layer, as the plugin's
README lists under "Findings"; the kit reports it as ``xfail`` and as a failure once fixed.
"""

from __future__ import annotations

from typing import Any

from layer_registry_kerashub._reasons import ANTIALIASED_RESIZE
from layer_registry_kerashub._reasons import FLOAT32_WHATEVER_THE_POLICY
from layer_registry_kerashub._reasons import NOT_TRACEABLE_ON_JAX
from layer_registry_kerashub._reasons import ONE_IMAGE_PER_CALL
from layer_registry_kerashub._reasons import ONE_VIDEO_PER_CALL
from layer_registry_kerashub._reasons import PYTHON_LISTS
from layer_registry_kerashub._reasons import SYMBOLIC_FLOAT32_TOKENS

IMAGE_CONVERTER: dict[str, Any] = {
    "example": {"image_size": [8, 8], "scale": 1 / 255},
    "input_shape": (2, 16, 16, 3),
    "tags": ["image-preprocessing"],
}
"""Every ImageConverter subclass that takes ImageConverter's arguments: 16x16 images to 8x8."""

_TRANSFORMER = {"intermediate_dim": 16, "num_heads": 2}
_SAM3_BLOCK = {"num_layers": 1, "hidden_dim": 8, "intermediate_dim": 16, "num_heads": 2}
_SAM3_IMAGE = {"image_shape": [16, 16, 3], "patch_size": 4}
_QWEN3_5_PATCHES = {"patch_size": 4, "spatial_merge_size": 2, "min_pixels": 64, "max_pixels": 256}
_GEMMA4_PATCHES = {"patch_size": 4, "max_soft_tokens": 4, "pooling_kernel_size": 2}
_AUDIO = {"sampling_rate": 160}
"""A tenth of a second of audio at 1.6 kHz: 160 samples per example."""

LAYERS: dict[str, dict[str, Any]] = {
    # -- image, video and audio converters with arguments of their own -------------------
    "BLIP2ImageConverter": {
        # BLIP-2 fixes scale and offset itself.
        "example": {"image_size": [8, 8]},
        "input_shape": (2, 16, 16, 3),
        "tags": ["image-preprocessing"],
        "expected_failures": {"jit_compile": ANTIALIASED_RESIZE},
    },
    "Gemma4ImageConverter": {
        "example": _GEMMA4_PATCHES,
        "input_shape": (2, 16, 16, 3),
        "tags": ["image-preprocessing"],
        "expected_failures": {
            "backend_portable": NOT_TRACEABLE_ON_JAX,
            "saving": (
                "a saved model reloads with the defaults of max_soft_tokens and "
                "pooling_kernel_size, which get_config leaves out: other output shapes"
            ),
            "config_roundtrip": (
                "get_config keeps patch_size but leaves out max_soft_tokens and "
                "pooling_kernel_size, so from_config rebuilds it with their defaults"
            ),
            "jit_compile": ANTIALIASED_RESIZE,
        },
    },
    "Qwen3_5ImageConverter": {
        "example": _QWEN3_5_PATCHES,
        # One image, (height, width, 3): the layer takes no batch axis.
        "input_shape": (16, 16, 3),
        "tags": ["image-preprocessing"],
        "expected_failures": {
            "backend_portable": NOT_TRACEABLE_ON_JAX,
            "batch_independent": ONE_IMAGE_PER_CALL,
            "mixed_precision": FLOAT32_WHATEVER_THE_POLICY,
        },
    },
    "VideoConverter": {
        "example": {"image_size": [8, 8], "scale": 1 / 255},
        "input_shape": (2, 2, 16, 16, 3),
        "tags": ["video-preprocessing"],
    },
    "Gemma4VideoConverter": {
        "example": {**_GEMMA4_PATCHES, "num_frames": 2},
        "input_shape": (2, 2, 16, 16, 3),
        "tags": ["video-preprocessing"],
        "expected_failures": {
            "backend_portable": (
                "under the JAX backend Keras cannot infer its output shape from a symbolic "
                "call, and it has no compute_output_shape"
            ),
            "jit_compile": ANTIALIASED_RESIZE,
            "mixed_precision": FLOAT32_WHATEVER_THE_POLICY,
        },
    },
    "Qwen3_5VideoConverter": {
        "example": _QWEN3_5_PATCHES,
        # One video of 2 frames, (frames, height, width, 3): the layer takes no batch axis.
        "input_shape": (2, 16, 16, 3),
        "tags": ["video-preprocessing"],
        "expected_failures": {
            "batch_independent": ONE_VIDEO_PER_CALL,
            "jit_compile": ANTIALIASED_RESIZE,
            "mixed_precision": FLOAT32_WHATEVER_THE_POLICY,
        },
    },
    "WhisperAudioConverter": {
        "example": {
            **_AUDIO,
            "num_mels": 8,
            "num_fft_bins": 32,
            "stride": 16,
            "max_audio_length": 1,
        },
        "input_shape": (2, 160),
        "tags": ["audio-preprocessing"],
        "expected_failures": {
            "backend_portable": NOT_TRACEABLE_ON_JAX,
            "jit_compile": (
                "pads the audio with RaggedTensorToTensor, which XLA cannot compile "
                "(No registered 'RaggedTensorToTensor' OpKernel for XLA_CPU_JIT)"
            ),
        },
    },
    "Gemma4AudioConverter": {
        "example": {
            **_AUDIO,
            "num_mels": 8,
            "num_fft_bins": 32,
            "stride": 16,
            "max_audio_length": 1,
            "frame_length": 32,
            "max_frequency": 80.0,
        },
        "input_shape": (2, 160),
        "tags": ["audio-preprocessing"],
        "expected_failures": {"backend_portable": NOT_TRACEABLE_ON_JAX},
    },
    "Gemma3nAudioConverter": {
        # Every argument is required: these are Gemma 3n's own, scaled to 160 samples.
        "example": {
            **_AUDIO,
            "feature_size": 8,
            "padding_value": 0.0,
            "return_attention_mask": False,
            "frame_length_ms": 200.0,
            "hop_length_ms": 100.0,
            "min_frequency": 0.0,
            "max_frequency": 80.0,
            "preemphasis": 0.97,
            "preemphasis_htk_flavor": True,
            "fft_overdrive": False,
            "dither": 0.0,
            "input_scale_factor": 1.0,
            "mel_floor": 1e-5,
            "per_bin_mean": None,
            "per_bin_stddev": None,
            "padding_side": "right",
        },
        "input_shape": (2, 160),
        "tags": ["audio-preprocessing"],
        "expected_failures": {
            "backend_portable": NOT_TRACEABLE_ON_JAX,
            "jit_compile": (
                "computes its features in a Python function (EagerPyFunc), which XLA cannot compile"
            ),
        },
    },
    "MoonshineAudioConverter": {
        "example": _AUDIO,
        "input_shape": (2, 160),
        "tags": ["audio-preprocessing"],
        "expected_failures": {"backend_portable": NOT_TRACEABLE_ON_JAX},
    },
    # -- text preprocessing (token ids; strings work too) --------------------------------
    "StartEndPacker": {
        "example": {"sequence_length": 8, "start_value": 1, "end_value": 2},
        "input_shape": (2, 5),
        "input_dtype": "int32",
        "tags": ["text-preprocessing", "packing"],
        "expected_failures": {"call": SYMBOLIC_FLOAT32_TOKENS},
    },
    "MultiSegmentPacker": {
        # One segment of 5 token ids, packed into 8. Not two: the registry passes several
        # inputs as a list, and MultiSegmentPacker reads a list as one segment's batch (it
        # takes its segments as a tuple).
        "example": {"sequence_length": 8, "start_value": 1, "end_value": 2},
        "input_shape": (2, 5),
        "input_dtype": "int32",
        "tags": ["text-preprocessing", "packing"],
        "expected_failures": {"call": SYMBOLIC_FLOAT32_TOKENS},
    },
    "MaskedLMMaskGenerator": {
        "example": {
            "vocabulary_size": 10,
            "mask_selection_rate": 0.5,
            "mask_token_id": 1,
            "mask_selection_length": 4,
        },
        "input_shape": (2, 8),
        "input_dtype": "int32",
        "tags": ["text-preprocessing", "masked-lm"],
        "expected_failures": {
            "call": (
                "mask_positions is int32 from an eager call but int64 from its TensorFlow path "
                "(tf.function, tf.data, a symbolic call): the two paths disagree"
            ),
        },
    },
    "RandomDeletion": {
        "example": {"rate": 0.5, "seed": 0},
        "input_shape": (2, 8),
        "input_dtype": "int32",
        "tags": ["text-preprocessing", "augmentation"],
        "expected_failures": {"call": PYTHON_LISTS},
    },
    "RandomSwap": {
        "example": {"rate": 0.5, "seed": 0},
        "input_shape": (2, 8),
        "input_dtype": "int32",
        "tags": ["text-preprocessing", "augmentation"],
        "expected_failures": {"call": PYTHON_LISTS},
    },
    # -- transformer blocks and attention --------------------------------------------------
    "TransformerEncoder": {
        "example": _TRANSFORMER,
        "input_shape": (2, 8, 16),
        "tags": ["transformer"],
    },
    "TransformerDecoder": {
        # Decoder-only (no encoder sequence), causally masked.
        "example": _TRANSFORMER,
        "input_shape": (2, 8, 16),
        "tags": ["transformer"],
    },
    "FNetEncoder": {
        "example": {"intermediate_dim": 16},
        "input_shape": (2, 8, 16),
        "tags": ["transformer"],
    },
    "CachedMultiHeadAttention": {
        # query and value; without a cache it is plain multi-head attention.
        "example": {"num_heads": 2, "key_dim": 4},
        "input_shape": [(2, 8, 16), (2, 8, 16)],
        "tags": ["transformer", "attention"],
    },
    "AlibiBias": {
        # Attention scores: (batch, heads, query length, key length).
        "input_shape": (2, 4, 8, 8),
        "tags": ["attention", "position-embedding"],
    },
    # -- embeddings and normalization ------------------------------------------------------
    "PositionEmbedding": {
        "example": {"sequence_length": 8},
        "input_shape": (2, 8, 16),
        "tags": ["position-embedding"],
    },
    "RotaryEmbedding": {"input_shape": (2, 8, 16), "tags": ["position-embedding"]},
    "SinePositionEncoding": {"input_shape": (2, 8, 16), "tags": ["position-embedding"]},
    "TokenAndPositionEmbedding": {
        "example": {"vocabulary_size": 10, "sequence_length": 8, "embedding_dim": 16},
        "input_shape": (2, 8),
        "input_dtype": "int32",
        "tags": ["embedding", "position-embedding"],
    },
    "ReversibleEmbedding": {
        "example": {"input_dim": 10, "output_dim": 8},
        "input_shape": (2, 8),
        "input_dtype": "int32",
        "tags": ["embedding"],
    },
    "RMSNormalization": {
        "example": {"input_dim": 16},
        "input_shape": (2, 8, 16),
        "tags": ["normalization"],
        "expected_failures": {
            "saving": (
                "keras.saving.load_model fails: __init__(self, input_dim) takes no **kwargs, "
                "so the trainable and dtype in its saved config are refused"
            ),
            "config_roundtrip": (
                "__init__(self, input_dim) takes no **kwargs, so from_config fails on the "
                "trainable and dtype that Keras writes into every layer's config"
            ),
            "serialization": (
                "__init__(self, input_dim) takes no **kwargs, so deserializing fails on the "
                "trainable and dtype that Keras writes into every layer's config"
            ),
            "mixed_precision": (
                "hard-codes float32: it casts its input and output to float32 whatever the "
                "dtype policy"
            ),
        },
    },
    "MaskedLMHead": {
        # Token features and the positions (int) of the masked tokens to predict.
        "example": {"vocabulary_size": 10, "activation": "softmax"},
        "input_shape": [(2, 8, 16), (2, 3)],
        "input_dtype": ["float32", "int32"],
        "tags": ["masked-lm"],
    },
    # -- object detection ------------------------------------------------------------------
    "AnchorGenerator": {
        # Anchors for the feature levels 2 and 3 of a 16x16 image, one square per position.
        "example": {
            "bounding_box_format": "yxyx",
            "min_level": 2,
            "max_level": 3,
            "num_scales": 1,
            "aspect_ratios": [1.0],
            "anchor_size": 4,
        },
        "input_shape": (2, 16, 16, 3),
        "tags": ["object-detection"],
        "expected_failures": {"mixed_precision": FLOAT32_WHATEVER_THE_POLICY},
    },
    "BoxMatcher": {
        # An IoU matrix of 5 anchors by 4 boxes: below 0.3 negative (-1), above 0.7 positive.
        "example": {"thresholds": [0.3, 0.7], "match_values": [-1, -2, 1]},
        "input_shape": (2, 5, 4),
        # Its __init__ inserts -inf and inf into the thresholds list it is given, in place
        # (README, Findings): the registry hands every construction a copy of the example.
        "tags": ["object-detection"],
    },
    "NonMaxSuppression": {
        # 10 candidate boxes, 3 classes; at most 3 detections per image.
        "example": {"bounding_box_format": "yxyx", "from_logits": True, "max_detections": 3},
        "input_shape": [(2, 10, 4), (2, 10, 3)],
        "tags": ["object-detection"],
        "expected_failures": {
            "batch_independent": (
                "a functional model with a None batch axis cannot hold it: it has no "
                "compute_output_shape, and Keras cannot infer its output from a symbolic call"
            ),
            "mixed_precision": FLOAT32_WHATEVER_THE_POLICY,
        },
    },
    # -- Segment Anything (SAM and SAM 3) components ---------------------------------------
    "SAMMaskDecoder": {
        # Image embeddings, their positional embeddings, 3 sparse prompts, dense prompts.
        "example": {
            "hidden_size": 8,
            "num_layers": 1,
            "intermediate_dim": 16,
            "num_heads": 2,
            "embedding_dim": 8,
            "iou_head_hidden_dim": 8,
        },
        "input_shape": [(2, 4, 4, 8), (2, 4, 4, 8), (2, 3, 8), (2, 4, 4, 8)],
        "tags": ["segmentation", "segment-anything"],
    },
    "SAMPromptEncoder": {
        # No input_shape: call(images=None, points=None, labels=None, boxes=None, masks=None)
        # takes its prompts by keyword, which register's input_shape cannot express.
        "example": {
            "hidden_size": 8,
            "image_embedding_size": [4, 4],
            "input_image_size": [16, 16],
            "mask_in_channels": 4,
        },
        "tags": ["segmentation", "segment-anything"],
    },
    "SAM3VisionEncoder": {
        "example": {
            **_SAM3_IMAGE,
            **_SAM3_BLOCK,
            "fpn_hidden_dim": 8,
            "fpn_scale_factors": [2.0, 1.0, 0.5],
            "pretrain_image_shape": [16, 16, 3],
            # The default, None, raises TypeError in __init__ (see the README's Findings).
            "global_attn_indexes": [0],
        },
        "input_shape": (2, 16, 16, 3),
        "tags": ["segmentation", "segment-anything"],
        "expected_failures": {
            "saving": (
                "a model saved with it gives other outputs once reloaded (by up to 0.15 for "
                "outputs up to 3): not every weight it uses is restored on load"
            ),
        },
    },
    "SAM3TextEncoder": {
        # Token ids and their padding mask.
        "example": {
            "vocabulary_size": 10,
            "embedding_dim": 8,
            "hidden_dim": 8,
            "num_layers": 1,
            "num_heads": 2,
            "intermediate_dim": 16,
            "max_sequence_length": 8,
        },
        "input_shape": [(2, 8), (2, 8)],
        "input_dtype": "int32",
        "tags": ["segmentation", "segment-anything", "transformer"],
    },
    "SAM3GeometryEncoder": {
        # No input_shape: its boxes are (batch index, cx, cy, w, h), and a random example input
        # cannot supply a valid batch index ("indices[0,1] = 2 is not in [0, 2)"). By hand, with
        # valid indices, it also fails for a batch of two or more: its (batch, boxes) prompt
        # mask reaches the attention without a heads axis (README, Findings).
        "example": {**_SAM3_BLOCK, "roi_size": 2},
        "tags": ["segmentation", "segment-anything"],
    },
    "SAM3DetrEncoder": {
        # A 4x4 vision feature map, 5 prompt tokens, the map's position embeddings, the mask.
        "example": _SAM3_BLOCK,
        "input_shape": [(2, 4, 4, 8), (2, 5, 8), (2, 4, 4, 8), (2, 5)],
        "input_dtype": ["float32", "float32", "float32", "bool"],
        "tags": ["segmentation", "segment-anything", "transformer"],
    },
    "SAM3DetrDecoder": {
        # The encoder's flattened 4x4 features, 5 prompt tokens, position encodings, the mask.
        "example": {**_SAM3_IMAGE, **_SAM3_BLOCK, "num_queries": 3},
        "input_shape": [(2, 16, 8), (2, 5, 8), (2, 16, 8), (2, 5)],
        "input_dtype": ["float32", "float32", "float32", "bool"],
        "tags": ["segmentation", "segment-anything", "transformer"],
        "expected_failures": {
            "gradients": (
                "its box_head weights are applied by the SAM3 backbone (detr_decoder.box_head), "
                "never by the layer's own call, so a loss on its outputs gives them no gradient"
            ),
        },
    },
    "SAM3MaskDecoder": {
        # No input_shape: its backbone_features argument is a list of feature maps (one per
        # FPN level), which register's input_shape cannot express.
        "example": {"num_upsampling_stages": 2, "hidden_dim": 8, "num_heads": 2},
        "tags": ["segmentation", "segment-anything"],
        "expected_failures": {
            "config_roundtrip": "get_config leaves out data_format: a channels_first decoder "
            "comes back channels_last",
        },
    },
}
"""Per class name: the keyword arguments for ``register``; the image converters that take
ImageConverter's arguments share ``IMAGE_CONVERTER`` (see ``layers``)."""
