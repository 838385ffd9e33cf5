"""colconv.torch against PyTorch's own convolution: forward, grad_input, grad_weight and grad_bias over a
random grid (both memory formats, groups, dilation, strides up to 4, odd sizes, every padding form), the
numpy ops, errors, and a small CNN trained both ways."""
import os
import random
import sys
import unittest

import numpy as np
import torch
import torch.nn.functional as F

import colconv
import colconv.torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
import train_tiny_cnn  # noqa: E402  (the example is the test's model)


def close(a, b, scale):
    """Float32 sums in different orders: within 1e-4 of the tensors' scale."""
    return torch.allclose(a, b, rtol=1e-4, atol=1e-4 * scale)


class GridTest(unittest.TestCase):
    def check(self, n, c, h, w, o, k, stride, dilation, groups, padding, channels_last, bias, seed):
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(n, c, h, w, generator=g)
        weight = torch.randn(o, c // groups, k[0], k[1], generator=g)
        b = torch.randn(o, generator=g) if bias else None
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        # PyTorch has no SAME at stride > 1: it is TensorFlow's split, done by padding first.
        if padding == "same" and max(stride) > 1:
            pads = []
            for size, kk, s, d in ((w, k[1], stride[1], dilation[1]), (h, k[0], stride[0], dilation[0])):
                total = max(0, (-(-size // s) - 1) * s + (kk - 1) * d + 1 - size)
                pads += [total // 2, total - total // 2]
            reference = lambda xx, ww, bb: F.conv2d(F.pad(xx, pads), ww, bb, stride, 0, dilation, groups)
        else:
            reference = lambda xx, ww, bb: F.conv2d(xx, ww, bb, stride, padding, dilation, groups)
        leaves = [t.clone().requires_grad_() for t in ([x, weight] + ([b] if bias else []))]
        twins = [t.clone().requires_grad_() for t in ([x, weight] + ([b] if bias else []))]
        want = reference(leaves[0], leaves[1], leaves[2] if bias else None)
        got = colconv.torch.conv2d(twins[0], twins[1], twins[2] if bias else None, stride, padding, dilation, groups)
        what = f"n{n} c{c} {h}x{w} o{o} k{k} s{stride} d{dilation} g{groups} pad {padding} cl {channels_last}"
        self.assertEqual(tuple(got.shape), tuple(want.shape), what)
        scale = float(x.abs().max() * weight.abs().max() * c // groups * k[0] * k[1]) + 1
        self.assertTrue(close(got, want, scale), what)
        if want.numel() == 0:
            return
        grad = torch.randn(want.shape, generator=g)
        want.backward(grad)
        got.backward(grad)
        for name, a, b_ in zip(("input", "weight", "bias"), twins, leaves):
            self.assertTrue(close(a.grad, b_.grad, scale * float(grad.abs().max()) * max(1, n * h * w)),
                            f"grad_{name} of {what}")

    def test_random_grid(self):
        rng = random.Random(7)
        for trial in range(120):
            groups = rng.choice([1, 1, 2, 3])
            c, o = groups * rng.randint(1, 4), groups * rng.randint(1, 4)
            k = (rng.choice([1, 2, 3, 5]), rng.choice([1, 2, 3, 5]))
            stride = (rng.randint(1, 4), rng.randint(1, 4))
            dilation = (rng.randint(1, 3), rng.randint(1, 3))
            h, w = rng.randint(1, 17), rng.randint(1, 17)
            padding = rng.choice([0, 1, (2, 1), "valid", "same"])
            if padding == "valid" or (isinstance(padding, (int, tuple)) and padding in (0, 1, (2, 1))):
                pad = (padding, padding) if isinstance(padding, int) else ((0, 0) if padding == "valid" else padding)
                if h + 2 * pad[0] < (k[0] - 1) * dilation[0] + 1 or w + 2 * pad[1] < (k[1] - 1) * dilation[1] + 1:
                    continue  # PyTorch refuses an output smaller than one
            self.check(rng.randint(1, 3), c, h, w, o, k, stride, dilation, groups, padding,
                       rng.random() < 0.5, rng.random() < 0.5, trial)


class ThinLayersTest(unittest.TestCase):
    """Depthwise and grouped layers of MobileNet, EfficientNet, ConvNeXt and ResNeXt (scaled down) reach
    colconv's direct algorithms through colconv.torch in both memory formats, and match PyTorch."""

    LAYERS = [  # n, c, h, w, o, k, stride, groups, channels_last: the algorithm in every direction
        (2, 32, 14, 13, 32, (3, 3), (1, 1), 32, {True: "depthwise", False: "depthwise"}),      # MobileNet
        (1, 24, 15, 15, 24, (5, 5), (2, 2), 24, {True: "depthwise", False: "depthwise"}),      # EfficientNet s2
        (1, 16, 9, 11, 16, (7, 7), (1, 1), 16, {True: "depthwise", False: "depthwise"}),       # ConvNeXt
        (2, 8, 10, 9, 16, (3, 3), (1, 1), 8, {True: None, False: "depthwise"}),                # multiplier 2
        (2, 32, 12, 11, 32, (3, 3), (1, 1), 8, {True: "direct_nhwc", False: "im2col_gemm"}),   # ResNeXt, 4/group
        (1, 64, 9, 9, 64, (3, 3), (1, 1), 4, {True: "direct_nhwc", False: "direct_nhwc"}),     # 16 per group
    ]

    def test_thin_layers_match_torch_through_their_algorithms(self):
        for trial, (n, c, h, w, o, k, stride, groups, expected) in enumerate(self.LAYERS):
            for channels_last in (True, False):
                want = expected[channels_last]
                if want is not None:
                    layout = ("NHWC", [n, h, w, c]) if channels_last else ("NCHW", [n, c, h, w])
                    for op in ("forward", "backprop_filter") + (("backprop_input",) if stride == (1, 1) else ()):
                        got = colconv.algorithm(op, layout[1], [o, c // groups, k[0], k[1]], stride, "SAME", 1,
                                                groups, layout[0], "OIHW")
                        self.assertEqual(got, want, f"{op} of layer {trial} ({layout[0]})")
                GridTest().check(n, c, h, w, o, k, stride, (1, 1), groups, "same", channels_last, True, 100 + trial)

    def test_small_image_forward_runs_direct_through_the_module(self):
        """The module hands its forward operator an HWIO filter where that turns colconv's choice into the direct
        kernels, which split a small image's rows into two tasks only for HWIO filters (an OIHW one keeps the
        GEMM), and keeps OIHW elsewhere (a 1x1 layer in NCHW); an in-place weight update is packed again through
        the same hand-off. On targets of 16 lanes or more 64 channels take the direct kernels with an HWIO filter
        only (with either GEMM backend; 128 take oneDNN's GEMM); narrower targets keep 64-channel groups on the GEMM
        with either filter, so there the module keeps OIHW. The NCHW image is 9x9: a 7x7 one would run on a
        channels_last copy (test_small_nchw_images_run_...)."""
        torch.manual_seed(7)
        for channels_last, k in ((True, 3), (False, 3), (False, 1)):
            layout = ([1, 7, 7, 64], "NHWC") if channels_last else ([1, 64, 9, 9], "NCHW")
            hwio = colconv.algorithm("forward", layout[0], [k, k, 64, 64], 1, "SAME", 1, 1, layout[1], "HWIO")
            oihw = colconv.algorithm("forward", layout[0], [64, 64, k, k], 1, "SAME", 1, 1, layout[1], "OIHW")
            hands_off = hwio == "direct_nhwc" and oihw != hwio
            if k == 1:
                self.assertEqual((hwio, oihw), ("pointwise_gemm", "pointwise_gemm"))
            layer = colconv.torch.Conv2d(64, 64, k, padding=k // 2, bias=True)
            reference = torch.nn.Conv2d(64, 64, k, padding=k // 2, bias=True)
            reference.load_state_dict(layer.state_dict())
            size = 7 if channels_last else 9
            x = torch.randn(1, 64, size, size)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.no_grad():
                for step in range(2):
                    self.assertTrue(close(layer(x), reference(x), 50.0), f"step {step}, channels_last {channels_last}")
                    layer.weight.mul_(-0.5)
                    reference.weight.mul_(-0.5)
            entry = layer.operators._entries[("forward", (tuple(x.shape), channels_last))]
            self.assertEqual(entry[0].algorithm, "direct_nhwc" if hands_off else oihw)
            self.assertEqual(entry[4] is colconv.torch._hwio, hands_off)

    def test_small_nchw_images_run_on_channels_last_copies(self):
        """An NCHW input whose image and result have at most 64 pixels runs through an NHWC operator on a
        channels_last copy and returns a contiguous NCHW result; a larger one, or a strided layer whose input is
        larger, runs NCHW as it is. Gradients still flow (the backward operators follow the input's layout)."""
        torch.manual_seed(11)
        for size, stride, copies in ((7, 1, True), (8, 1, True), (9, 1, False), (14, 2, False)):
            layer = colconv.torch.Conv2d(32, 48, 3, stride=stride, padding=1)
            reference = torch.nn.Conv2d(32, 48, 3, stride=stride, padding=1)
            reference.load_state_dict(layer.state_dict())
            x = torch.randn(2, 32, size, size, requires_grad=True)
            y = layer(x)
            self.assertTrue(y.is_contiguous(), size)
            self.assertTrue(close(y, reference(x), 50.0), size)
            self.assertEqual([key[1][1] for key in layer.operators._entries], [copies], size)
            y.sum().backward()
            x_grad, x.grad = x.grad, None
            reference(x).sum().backward()
            self.assertTrue(close(x_grad, x.grad, 50.0), size)

    def test_algorithm_errors_name_the_argument(self):
        with self.assertRaisesRegex(ValueError, "op is 'sideways'"):
            colconv.algorithm("sideways", [1, 5, 5, 3], [3, 3, 3, 4])

    def test_output_shape_matches_torch_and_explains_refusals(self):
        # (input H, W, kernel, stride, padding (PyTorch's pad, colconv's), dilation), NCHW/OIHW as PyTorch stores them.
        cases = [((7, 9), (3, 3), (1, 1), (1, (1, 1, 1, 1)), (1, 1)),
                 ((14, 13), (3, 5), (2, 2), (0, "VALID"), (1, 1)),
                 ((11, 11), (3, 3), (3, 2), ((2, 1), (2, 2, 1, 1)), (2, 1)),
                 ((5, 8), (1, 1), (2, 3), (0, "VALID"), (1, 1))]
        for (h, w), k, stride, (pad, colconv_pad), dilation in cases:
            x, weight = torch.zeros(2, 6, h, w), torch.zeros(4, 3, *k)
            expected = list(F.conv2d(x, weight, None, stride, pad, dilation, groups=2).shape)
            got = colconv.output_shape(x.shape, weight.shape, stride, colconv_pad, dilation, 2, "NCHW", "OIHW")
            self.assertEqual(got, expected, (h, w, k, stride, pad, dilation))
        self.assertEqual(colconv.output_shape([1, 7, 7, 3], [3, 3, 3, 8], 2, "SAME"), [1, 4, 4, 8])
        with self.assertRaisesRegex(ValueError, r"filter input depth 2 \(filter_shape\[2\]\)"):
            colconv.output_shape([1, 5, 5, 3], [3, 3, 2, 8])


class GemmBackendTest(unittest.TestCase):
    def setUp(self):
        self.saved = (os.environ.get("COLCONV_GEMM"), colconv.get_gemm_backend() if colconv._gemm_chosen else "")

    def tearDown(self):
        env, choice = self.saved
        os.environ.pop("COLCONV_GEMM", None)
        if env is not None:
            os.environ["COLCONV_GEMM"] = env
        colconv.set_gemm_backend(choice)

    def test_every_built_backend_runs_a_module_and_unknown_names_are_refused(self):
        g = torch.Generator().manual_seed(3)
        x = torch.randn(2, 32, 14, 14, generator=g)
        conv = torch.nn.Conv2d(32, 48, 3, padding=1)
        want = conv(x)
        self.assertEqual(colconv.gemm_backends()[0], "openblas")
        for name in colconv.gemm_backends():
            colconv.set_gemm_backend(name)
            self.assertEqual(colconv.get_gemm_backend(), name)
            module = colconv.torch.Conv2d(32, 48, 3, padding=1)  # a fresh operator, planned on `name`
            module.load_state_dict(conv.state_dict())
            with torch.no_grad():
                self.assertTrue(close(module(x), want, float(x.abs().max()) * 9 * 32), name)
        with self.assertRaisesRegex(ValueError, "no_such_gemm"):
            colconv.set_gemm_backend("no_such_gemm")
        colconv.set_gemm_backend("")
        self.assertEqual(colconv.get_gemm_backend(), os.environ.get("COLCONV_GEMM") or "openblas")

    def test_modules_plan_on_onednn_unless_a_backend_was_chosen(self):
        # A strided layer of 256 outputs per group runs im2col + GEMM on either backend, whose bits differ.
        g = torch.Generator().manual_seed(5)
        x = torch.randn(1, 256, 28, 28, generator=g)
        conv = torch.nn.Conv2d(256, 256, 3, stride=2, padding=1)
        attrs = dict(strides=(2, 2), padding=(1, 1, 1, 1), data_format="NCHW", filter_format="OIHW")
        weight, bias = conv.weight.detach().numpy(), conv.bias.detach().numpy()
        by_backend = {}
        for name in colconv.gemm_backends():
            op = colconv._lib.Operator("forward", list(x.shape), list(weight.shape), filter=weight, bias=bias,
                                       gemm=name, **attrs)
            self.assertEqual(op.algorithm, "im2col_gemm")
            by_backend[name] = op.run(x.numpy())
        if "onednn" in by_backend:
            self.assertFalse(np.array_equal(by_backend["onednn"], by_backend["openblas"]))

        def module_output():
            module = colconv.torch.Conv2d(256, 256, 3, stride=2, padding=1)
            module.load_state_dict(conv.state_dict())
            with torch.no_grad():
                return module(x).numpy()

        os.environ.pop("COLCONV_GEMM", None)
        colconv.set_gemm_backend("")
        default = "onednn" if "onednn" in by_backend else "openblas"
        self.assertEqual(colconv.torch.gemm_backend(), default)
        self.assertTrue(np.array_equal(module_output(), by_backend[default]))
        colconv.set_gemm_backend("openblas")
        self.assertEqual(colconv.torch.gemm_backend(), "openblas")
        self.assertTrue(np.array_equal(module_output(), by_backend["openblas"]))
        colconv.set_gemm_backend("")
        os.environ["COLCONV_GEMM"] = "openblas"
        self.assertEqual(colconv.torch.gemm_backend(), "openblas")
        self.assertTrue(np.array_equal(module_output(), by_backend["openblas"]))


class OpsTest(unittest.TestCase):
    def test_numpy_nhwc_hwio_matches_torch(self):
        rng = np.random.default_rng(3)
        x = rng.standard_normal((2, 9, 7, 5), dtype=np.float32)  # NHWC
        w = rng.standard_normal((3, 3, 5, 4), dtype=np.float32)  # HWIO
        y = colconv.conv2d(x, w, strides=2, padding="SAME")
        self.assertIsInstance(y, np.ndarray)
        want = F.conv2d(F.pad(torch.from_numpy(x).permute(0, 3, 1, 2), [1, 1, 1, 1]),
                        torch.from_numpy(w).permute(3, 2, 0, 1), stride=2).permute(0, 2, 3, 1)
        self.assertTrue(close(torch.from_numpy(y), want, 50.0))
        dy = rng.standard_normal(y.shape, dtype=np.float32)
        dx = colconv.conv2d_backprop_input(x.shape, w, dy, strides=2, padding="SAME")
        dx2 = colconv.conv2d_backprop_input([9, 7], w, dy, strides=2, padding="SAME")  # TensorFlow's [H, W]
        self.assertTrue(np.array_equal(dx, dx2))
        dw = colconv.conv2d_backprop_filter(x, w.shape, dy, strides=2, padding="SAME")
        self.assertEqual(dx.shape, x.shape)
        self.assertEqual(dw.shape, w.shape)
        # <conv(x, w), dy> = <x, dx> = <w, dw>
        a, b, c = float((y * dy).sum()), float((x * dx).sum()), float((w * dw).sum())
        self.assertAlmostEqual(a, b, delta=1e-3 * abs(a) + 1e-3)
        self.assertAlmostEqual(a, c, delta=1e-3 * abs(a) + 1e-3)

    def test_errors_are_value_errors_with_colconv_messages(self):
        w = np.ones((3, 3, 3, 4), np.float32)
        dy = np.ones((1, 3, 3, 4), np.float32)
        with self.assertRaises(ValueError) as e:
            colconv.conv2d_backprop_input([1, 10, 9, 3], w, dy, strides=3, padding="SAME")
        self.assertIn("input heights 7, 8 and 9 give 3", str(e.exception))
        with self.assertRaises(ValueError) as e:
            colconv.conv2d(np.ones((1, 5, 5, 3), np.float32), w, groups=0)
        self.assertIn("attrs.groups is 0", str(e.exception))
        with self.assertRaises(ValueError) as e:
            colconv.conv2d(np.ones((1, 5, 5, 3), np.float64), w)
        self.assertIn("float32", str(e.exception))
        with self.assertRaises(ValueError):
            colconv.conv2d(np.ones((5, 5, 3), np.float32), w)
        with self.assertRaises(ValueError):
            colconv.torch.Conv2d(3, 4, 3, padding="half")(torch.ones(1, 3, 5, 5))

    def test_tensorflow_same_at_stride_two_in_the_module(self):
        torch.manual_seed(0)
        layer = colconv.torch.Conv2d(3, 4, 3, stride=2, padding="same")
        x = torch.randn(1, 3, 6, 6)
        # TensorFlow's SAME on 6 with stride 2 and a 3x3 filter: total pad 1, all of it bottom/right.
        want = F.conv2d(F.pad(x, [0, 1, 0, 1]), layer.weight, layer.bias, stride=2)
        self.assertTrue(close(layer(x), want, 20.0))


class TrainingTest(unittest.TestCase):
    def test_tiny_cnn_learns_the_same_with_colconv_layers(self):
        # 200 SGD steps take the loss from 1.40 to about 0.12. colconv and PyTorch sum in different orders, and
        # training amplifies that, faster with OpenBLAS's AVX-512 kernels: measured, PyTorch against itself in
        # its other memory format drifts by 2e-5 in the first 100 steps and 6e-3 by step 200; colconv against
        # PyTorch by 1e-5 and 1.2e-2. So the first 100 steps, where a wrong gradient would show at once, must
        # agree to 1e-4; after that the curves must stay together and both must learn.
        images, labels = train_tiny_cnn.synthetic_data(seed=1)
        for channels_last in (False, True):
            reference, twin = train_tiny_cnn.twin_models(seed=0)
            want = train_tiny_cnn.train(reference, images, labels, steps=200, channels_last=channels_last)
            got = train_tiny_cnn.train(twin, images, labels, steps=200, channels_last=channels_last)
            for step, ((lw, _), (lg, _)) in enumerate(zip(want, got)):
                tolerance = 1e-4 if step < 100 else 5e-2
                self.assertAlmostEqual(lg, lw, delta=tolerance * max(1.0, lw), msg=f"step {step}")
            self.assertLess(want[-1][0], 0.2 * want[0][0], "PyTorch's model should learn")
            self.assertLess(got[-1][0], 0.2 * got[0][0], "colconv's model should learn")


if __name__ == "__main__":
    unittest.main()
