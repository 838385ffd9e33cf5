"""The engine path of colconv.torch: operators cached per shape and packed once (the stale-weights case included),
fused bias and activation, memory formats kept, ConvTranspose2d against PyTorch with its output_padding errors,
convert() on small models and a torchvision network, freeze() (BatchNorm folded, ReLU and residual adds fused,
identities overwritten only when safe), and the Python Operator's own checks."""
import unittest

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import _colconv
import colconv
import colconv.freeze as ct_freeze
import colconv.torch as ct
import torchvision


def close(a, b, scale=1.0):
    return torch.allclose(a, b, rtol=1e-4, atol=1e-4 * scale)


class OperatorCacheTest(unittest.TestCase):
    def test_second_call_packs_nothing_and_an_update_repacks(self):
        torch.manual_seed(0)
        m = ct.Conv2d(8, 16, 3, padding=1)
        x = torch.randn(2, 8, 9, 9)
        first, second = m(x), m(x)
        self.assertTrue(torch.equal(first, second))
        self.assertEqual(m.operators.counters(), {"packs": 1, "temporary_workspaces": 0, "operators": 1})
        # The stale-cache bug: an in-place update (an optimizer step) must reach the next call.
        with torch.no_grad():
            m.weight.mul_(-2)
            m.bias.add_(1)
        self.assertTrue(close(m(x), F.conv2d(x, m.weight, m.bias, padding=1), 10))
        self.assertEqual(m.operators.counters()["packs"], 2)
        # So must a new Parameter.
        m.weight = nn.Parameter(torch.randn_like(m.weight))
        self.assertTrue(close(m(x), F.conv2d(x, m.weight, m.bias, padding=1), 10))
        self.assertEqual(m.operators.counters()["packs"], 3)
        m(x)
        self.assertEqual(m.operators.counters()["packs"], 3)

    def test_optimizer_steps_reach_the_packed_weights(self):
        torch.manual_seed(1)
        ours = ct.Conv2d(4, 6, 3, padding=1)
        theirs = nn.Conv2d(4, 6, 3, padding=1)
        theirs.load_state_dict(ours.state_dict())
        opt_ours = torch.optim.SGD(ours.parameters(), lr=0.1)
        opt_theirs = torch.optim.SGD(theirs.parameters(), lr=0.1)
        x = torch.randn(3, 4, 7, 7, requires_grad=True)
        for _ in range(3):
            for model, opt in ((ours, opt_ours), (theirs, opt_theirs)):
                opt.zero_grad()
                model(x).square().mean().backward()
                opt.step()
        with torch.no_grad():
            self.assertTrue(close(ours(x), theirs(x), 10))
        # Forward, backprop-input and backprop-filter, each packed once and once more per step that changed them.
        self.assertEqual(ours.operators.counters()["operators"], 3)

    def test_each_shape_and_memory_format_has_its_operator(self):
        m = ct.Conv2d(3, 5, 3, padding=1)
        # Images above 64 pixels: smaller NCHW ones run on the channels_last operator of their shape.
        for shape in ((1, 3, 9, 9), (2, 3, 9, 9), (1, 3, 9, 11)):
            for channels_last in (False, True):
                x = torch.randn(shape)
                if channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                y = m(x)
                self.assertEqual(y.is_contiguous(memory_format=torch.channels_last) and not y.is_contiguous(),
                                 channels_last)
                self.assertTrue(close(y, F.conv2d(x, m.weight, m.bias, padding=1), 10))
        self.assertEqual(m.operators.counters()["operators"], 6)


class FusedActivationTest(unittest.TestCase):
    def test_relu_and_relu6_forward_and_backward(self):
        for activation, fn in (("relu", F.relu), ("relu6", F.relu6)):
            for channels_last in (False, True):
                torch.manual_seed(2)
                m = ct.Conv2d(6, 8, 3, stride=2, padding=1, groups=2, activation=activation)
                with torch.no_grad():
                    m.weight.mul_(8)  # outputs beyond 6 too
                x = torch.randn(2, 6, 11, 9)
                if channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
                w2 = m.weight.detach().clone().requires_grad_()
                y1 = m(x1)
                y2 = fn(F.conv2d(x2, w2, m.bias, stride=2, padding=1, groups=2))
                self.assertTrue(close(y1, y2, 50), activation)
                grad = torch.randn_like(y2)
                y1.backward(grad)
                y2.backward(grad)
                self.assertTrue(close(x1.grad, x2.grad, 50), activation)
                self.assertTrue(close(m.weight.grad, w2.grad, 500), activation)

    def test_unknown_activation(self):
        with self.assertRaisesRegex(ValueError, "activation 'gelu'"):
            ct.Conv2d(1, 1, 1, activation="gelu")


class ConvTransposeTest(unittest.TestCase):
    def test_against_pytorch(self):
        cases = [  # in, out, k, stride, padding, output_padding, groups, dilation
            (4, 6, 3, 2, 1, 1, 1, 1), (6, 4, 4, 2, 1, 0, 2, 1), (3, 3, 3, 1, 0, 0, 3, 2), (5, 2, (3, 1), (3, 1), 0, (2, 0), 1, 1),
        ]
        for i, (cin, cout, k, s, p, op, g, d) in enumerate(cases):
            for channels_last in (False, True):
                torch.manual_seed(i)
                ours = ct.ConvTranspose2d(cin, cout, k, s, p, op, g, True, d)
                theirs = nn.ConvTranspose2d(cin, cout, k, s, p, op, g, True, d)
                theirs.load_state_dict(ours.state_dict())
                x = torch.randn(2, cin, 5, 6)
                if channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
                y1, y2 = ours(x1), theirs(x2)
                what = f"case {i} channels_last {channels_last}"
                self.assertEqual(y1.shape, y2.shape, what)
                self.assertTrue(close(y1, y2, 10), what)
                grad = torch.randn_like(y2)
                y1.backward(grad)
                y2.backward(grad)
                self.assertTrue(close(x1.grad, x2.grad, 10), what)
                self.assertTrue(close(ours.weight.grad, theirs.weight.grad, 100), what)
                self.assertTrue(close(ours.bias.grad, theirs.bias.grad, 100), what)

    def test_output_padding_error_explains(self):
        bad = ct.ConvTranspose2d(2, 2, 3, stride=2, padding=1, output_padding=2)
        with self.assertRaisesRegex(ValueError, r"input heights 17 and 18 give 9"):
            bad(torch.randn(1, 2, 9, 9))


class ConvertTest(unittest.TestCase):
    def test_sequential_fuses_activations_and_shares_parameters(self):
        torch.manual_seed(3)
        model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(8, 8, 3, groups=8),
                              nn.ReLU6(), nn.Conv2d(8, 4, 1), nn.BatchNorm2d(4), nn.ReLU(),
                              nn.ConvTranspose2d(4, 2, 2, stride=2), nn.Conv2d(2, 2, 3, padding_mode="reflect", padding=1))
        model.eval()
        x = torch.randn(2, 3, 12, 12)
        want = model(x)
        params = [id(p) for p in model.parameters()]
        ct.convert(model)
        self.assertEqual([id(p) for p in model.parameters()], params)
        kinds = [type(m).__name__ for m in model]
        self.assertEqual(kinds, ["Conv2d", "Identity", "Conv2d", "Identity", "Conv2d", "BatchNorm2d", "ReLU",
                                 "ConvTranspose2d", "Conv2d"])
        self.assertIsInstance(model[0], ct.Conv2d)
        self.assertEqual((model[0].activation, model[2].activation, model[4].activation), ("relu", "relu6", None))
        self.assertIsInstance(model[7], ct.ConvTranspose2d)
        self.assertIs(type(model[8]), nn.Conv2d)  # reflect padding stays PyTorch's
        with torch.no_grad():
            self.assertTrue(close(model(x), want, 10))
            self.assertTrue(close(model(x.contiguous(memory_format=torch.channels_last)), want, 10))

    def test_torchvision_resnet18(self):
        torch.manual_seed(4)
        model = torchvision.models.resnet18(num_classes=10).eval()
        x = torch.randn(1, 3, 64, 64)
        with torch.no_grad():
            want = model(x)
            ct.convert(model)
            got = model(x)
        self.assertEqual(sum(isinstance(m, ct.Conv2d) for m in model.modules()), 20)
        self.assertTrue(torch.allclose(got, want, rtol=1e-4, atol=1e-4 * float(want.abs().max())))


def randomize_batchnorm(model):
    """Running statistics and affine parameters away from their defaults, so that folding them matters."""
    g = torch.Generator().manual_seed(5)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(m.bias.shape, generator=g) - 0.5)
    return model


class Residual(nn.Module):
    """relu(bn(conv(a)) + identity) where the identity is the input itself, or a tensor read again later."""

    def __init__(self, reread):
        super().__init__()
        self.pre = nn.Conv2d(4, 4, 1)
        self.pre_bn = nn.BatchNorm2d(4)
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.reread = reread

    def forward(self, x):
        identity = self.pre_bn(self.pre(x)) if self.reread else x
        out = torch.relu(self.bn(self.conv(identity)) + identity)
        return out * identity if self.reread else out


class FreezeTest(unittest.TestCase):
    def test_resnet18_folds_batchnorm_and_fuses_relu_and_residual_adds(self):
        torch.manual_seed(6)
        model = randomize_batchnorm(torchvision.models.resnet18(num_classes=10)).eval()
        frozen = ct.freeze(model)
        fused = [m for m in frozen.modules() if isinstance(m, ct_freeze.FusedConv2d)]
        self.assertEqual(len(fused), 20)
        self.assertEqual(sum(m.residual for m in fused), 8)
        self.assertEqual(sum(m.in_place for m in fused), 8)
        self.assertEqual(sum(m.activation == "relu" for m in fused), 17)
        self.assertFalse(any(isinstance(m, (nn.BatchNorm2d, nn.ReLU)) for m in frozen.modules()))
        x = torch.randn(2, 3, 64, 64)
        with torch.no_grad():
            for memory_format in (torch.contiguous_format, torch.channels_last):
                xx = x.contiguous(memory_format=memory_format)
                want = model.to(memory_format=memory_format)(xx)
                got = frozen.to(memory_format=memory_format)(xx)
                self.assertTrue(torch.allclose(got, want, rtol=1e-4, atol=1e-4 * float(want.abs().max())))
        self.assertTrue(model.training is False and isinstance(model.layer1[0].bn1, nn.BatchNorm2d))  # untouched

    def test_residuals_that_must_not_be_overwritten(self):
        for reread in (False, True):
            torch.manual_seed(7)
            model = randomize_batchnorm(Residual(reread)).eval()
            frozen = ct.freeze(model)
            fused = [m for m in frozen.modules() if isinstance(m, ct_freeze.FusedConv2d) and m.residual]
            self.assertEqual(len(fused), 1)
            self.assertFalse(fused[0].in_place)  # the input, or a tensor read after the add
            x = torch.randn(2, 4, 6, 5)
            before = x.clone()
            with torch.no_grad():
                self.assertTrue(torch.allclose(frozen(x), model(x), rtol=1e-4, atol=1e-5))
            self.assertTrue(torch.equal(x, before))

    def test_training_mode_is_refused_and_untraceable_models_are_converted(self):
        with self.assertRaisesRegex(ValueError, "training mode"):
            ct.freeze(nn.Sequential(nn.Conv2d(1, 1, 1)))
        model = torchvision.models.shufflenet_v2_x0_5(num_classes=10).eval()
        with self.assertWarnsRegex(UserWarning, "cannot trace"):
            frozen = ct.freeze(model)
        x = torch.randn(1, 3, 32, 32)
        with torch.no_grad():
            self.assertTrue(torch.allclose(frozen(x), model(x), rtol=1e-4, atol=1e-5))
        self.assertTrue(any(isinstance(m, ct.Conv2d) for m in frozen.modules()))


class OperatorBindingTest(unittest.TestCase):
    def test_arguments_are_checked(self):
        w = np.ones((3, 3, 2, 4), np.float32)
        op = _colconv.Operator("forward", [1, 5, 5, 2], [3, 3, 2, 4], filter=w, activation="relu")
        self.assertEqual(list(op.result_shape), [1, 3, 3, 4])
        y = op.run(np.ones((1, 5, 5, 2), np.float32))
        self.assertTrue(np.all(y == 18))
        with self.assertRaisesRegex(ValueError, "wrong shape"):
            op.run(np.ones((1, 5, 5, 2), np.float32), out=np.zeros((1, 3, 3, 5), np.float32))
        with self.assertRaisesRegex(ValueError, "activation 'tanh'"):
            _colconv.Operator("forward", [1, 5, 5, 2], [3, 3, 2, 4], filter=w, activation="tanh")
        with self.assertRaisesRegex(ValueError, "activations apply to forward only"):
            _colconv.Operator("backprop_input", [1, 5, 5, 2], [3, 3, 2, 4], [1, 3, 3, 4], filter=w, activation="relu")
        with self.assertRaisesRegex(ValueError, "filter does not have"):
            op.repack(np.ones((3, 3, 2, 5), np.float32))
        self.assertEqual(op.counters["packs"], 1)


class ParallelRunnerTest(unittest.TestCase):
    def test_openmp_threads_give_tbbs_bits(self):
        """colconv's tasks on PyTorch's OpenMP threads: a converted block's forward and backward, at 2 threads,
        bit for bit as on TBB's threads; unknown pools and a pool without threads are errors."""
        torch.manual_seed(3)
        block = ct.convert(nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                                         nn.Conv2d(32, 32, 3, padding=1, groups=4), nn.Conv2d(32, 8, 1)))
        x = torch.randn(2, 16, 20, 20)
        threads = torch.get_num_threads()
        results = {}
        try:
            torch.set_num_threads(2)
            colconv.set_num_threads(2)
            for pool in ("tbb", "openmp"):
                colconv.set_parallel_runner(pool)
                xx = x.clone().requires_grad_(True)
                block.zero_grad()
                y = block(xx)
                y.square().sum().backward()
                results[pool] = [y.detach(), xx.grad] + [p.grad for p in block.parameters()]
                self.assertEqual(colconv.get_num_threads(), 2)
            with self.assertRaisesRegex(ValueError, "pool 'pthreads' must be 'tbb' or 'openmp'"):
                colconv.set_parallel_runner("pthreads")
            with self.assertRaisesRegex(ValueError, "num_threads is -1; a runner must have >= 1 thread"):
                colconv.set_parallel_runner("openmp", -1)
        finally:
            colconv.set_parallel_runner("tbb")
            colconv.set_num_threads(0)
            torch.set_num_threads(threads)
        for tbb, omp in zip(results["tbb"], results["openmp"]):
            self.assertTrue(torch.equal(tbb, omp))


if __name__ == "__main__":
    unittest.main()
