"""Self-checks of the Python COCO evaluator: a hand-computed example (same numbers as
tests/node/coco-eval.test.ts) and the committed fixture's expected numbers.

    /usr/bin/python3 -m unittest tools.train.test_coco_eval -v
"""
import json
import os
import unittest

from tools.train.coco_eval import coco_evaluate

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "coco")


def _gt(anns, cats, images=(1,)):
    return {"images": [{"id": i} for i in images], "categories": [{"id": c} for c in cats],
            "annotations": [{"id": k + 1, "image_id": i, "category_id": c, "bbox": b,
                             "area": b[2] * b[3], "iscrowd": 0}
                            for k, (i, c, b) in enumerate(anns)]}


class CocoEvalTest(unittest.TestCase):
    def test_hand_example(self):
        gt = _gt([(1, 1, [0, 0, 10, 10]), (1, 1, [20, 0, 10, 10]), (1, 2, [60, 60, 10, 10])],
                 [1, 2, 3])
        dets = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9},
                {"image_id": 1, "category_id": 1, "bbox": [20, 0, 10, 7.8], "score": 0.8},
                {"image_id": 1, "category_id": 1, "bbox": [50, 50, 10, 10], "score": 0.7},
                {"image_id": 1, "category_id": 3, "bbox": [0, 0, 10, 10], "score": 0.95}]
        r = coco_evaluate(gt, dets)["named"]
        expected = {"AP": 405 / 1010, "AP50": 0.5, "AP75": 0.5, "APs": 405 / 1010, "APm": -1,
                    "APl": -1, "AR1": 0.25, "AR10": 0.4, "AR100": 0.4, "ARs": 0.4, "ARm": -1,
                    "ARl": -1}
        for k, v in expected.items():
            self.assertAlmostEqual(r[k], v, places=12, msg=k)

    def test_duplicate(self):
        gt = _gt([(1, 1, [0, 0, 10, 10]), (1, 1, [30, 0, 10, 10])], [1])
        dets = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": s}
                for s in (0.9, 0.8)] + [{"image_id": 1, "category_id": 1,
                                         "bbox": [30, 0, 10, 10], "score": 0.7}]
        self.assertAlmostEqual(coco_evaluate(gt, dets)["named"]["AP"], 253 / 303, places=12)

    def test_fixture(self):
        with open(os.path.join(FIX, "gt.json")) as f:
            gt = json.load(f)
        with open(os.path.join(FIX, "detections.json")) as f:
            dets = json.load(f)
        with open(os.path.join(FIX, "expected.json")) as f:
            exp = json.load(f)
        r = coco_evaluate(gt, dets)
        for k, v in exp["stats"].items():
            self.assertEqual(r["named"][k], v, k)


if __name__ == "__main__":
    unittest.main()
