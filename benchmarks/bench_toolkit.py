"""What the training toolkit costs: interleaved A/B fits of one workload.

The workload is the cross-validation one of ``bench.py`` (breast_cancer,
Pipeline(StandardScaler, MLPClassifier 64-64), batch 32, 50 epochs, float64
as users' data comes), one fit per run. Variants, each traced once first and
then timed in turns (so drifts of the machine hit every variant alike):

- ``default``: what every fit records now ('grad_norm' measured in the
  traced step, 'lr', 'epoch_time', 'samples_per_s');
- ``no meter``: the same fit with the gradient-norm meter switched off (the
  cost of 'grad_norm' on the default path);
- ``cosine+warmup``: a per-step schedule (the rate table written each epoch);
- ``scoring``: ``scoring='roc_auc'`` on a 20% validation set each epoch;
- ``checkpoint``: a file written after every epoch.

Usage: ``python benchmarks/bench_toolkit.py [--repeats 6]``. Prints the
median and the ratio to ``default`` per variant.
"""

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    import sktrain._engine.monitoring as monitoring
    from sktrain import MLPClassifier

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    Xt, Xv, yt, yv = train_test_split(X, y, test_size=0.2, random_state=0)
    tmp = Path(tempfile.mkdtemp())
    base = dict(
        hidden_layer_sizes=(64, 64),
        max_iter=50,
        batch_size=32,
        tol=0,
        n_iter_no_change=10**6,
        random_state=0,
    )
    meter = monitoring.meter_gradients

    def no_meter(optimizer):
        return False

    variants = {
        "default": ({}, {}, meter),
        "no meter": ({}, {}, no_meter),
        "cosine+warmup": ({"learning_rate": "cosine", "warmup": 5}, {}, meter),
        "scoring": ({"scoring": "roc_auc"}, {"X_val": Xv, "y_val": yv}, meter),
        "checkpoint": ({"checkpoint": tmp / "c.sktrain"}, {}, meter),
    }

    def run(name):
        params, fit_kwargs, meter_fn = variants[name]
        monitoring.meter_gradients = meter_fn
        start = time.perf_counter()
        MLPClassifier(**base, **params).fit(Xt, yt, **fit_kwargs)
        return time.perf_counter() - start

    for name in variants:  # trace every variant once
        run(name)
    times = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name in variants:
            times[name].append(run(name))
    monitoring.meter_gradients = meter
    reference = statistics.median(times["default"])
    print(f"{'variant':<16}{'median s':>10}{'vs default':>12}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<16}{median:>10.3f}{median / reference:>11.2f}x")


if __name__ == "__main__":
    main()
