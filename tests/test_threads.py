"""Fits running at once in threads each draw from their own generators."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from sklearn_ns3l import NS3LClassifier


@pytest.mark.parametrize(
    "params, image",
    [
        ({}, False),  # the MLP's dropout
        ({"augment": "shift"}, True),  # the CNN's dropout and the shifts
        ({"companion": "vat"}, False),  # VAT's random start
    ],
)
def test_concurrent_fits_give_what_each_gives_alone(digits_semi, params, image):
    X, y_semi, _ = digits_semi
    X = X.reshape(-1, 8, 8) if image else X

    def fit(seed):
        clf = NS3LClassifier(max_epochs=2, batch_size=32, random_state=seed, **params)
        return clf.fit(X, y_semi).predict_proba(X)

    alone = [fit(seed) for seed in range(4)]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(fit, range(4)))
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_user_module_draws_from_the_global_generator_seeded_for_the_fit(
    digits_semi,
):
    """Its own nn.Dropout: reproducible fit to fit (not beside a concurrent one)."""
    X, y_semi, _ = digits_semi

    module = torch.nn.Sequential(
        torch.nn.Linear(64, 32), torch.nn.Dropout(0.5), torch.nn.Linear(32, 10)
    )

    def fit():
        clf = NS3LClassifier(module=module, max_epochs=2, random_state=0)
        return clf.fit(X, y_semi).predict_proba(X)

    torch.manual_seed(1)
    first = fit()
    torch.manual_seed(2)
    np.testing.assert_array_equal(fit(), first)


def test_a_fit_leaves_the_global_generator_as_it_found_it(digits_semi):
    X, y_semi, _ = digits_semi
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    NS3LClassifier(max_epochs=1, random_state=0).fit(X, y_semi)
    np.testing.assert_array_equal(torch.rand(3), expected)
