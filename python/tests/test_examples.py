"""The examples the README runs, run small: each exits with status 0 only when its own check passes (outputs
equal PyTorch's; DDP's averaged gradients equal one process's on the concatenated batch)."""
import os
import subprocess
import sys
import unittest

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")


def run(script, *args):
    return subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *args], capture_output=True, text=True,
                          timeout=600)


class ExamplesTest(unittest.TestCase):
    def test_infer_torchvision(self):
        for layout in ([], ["--channels-last"]):
            done = run("infer_torchvision.py", "--size", "64", "--repeats", "1", *layout)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            self.assertEqual(done.stdout.count("output matches PyTorch's"), 2, done.stdout)

    def test_train_ddp_gradients_equal_one_process(self):
        done = run("train_ddp.py", "--steps", "2", "--check")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("gradients of 2 processes equal", done.stdout)


if __name__ == "__main__":
    unittest.main()
