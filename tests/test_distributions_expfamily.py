"""ExponentialFamily: which families derive from it (torch 2.13's list), each family's
natural parameters and log-normalizer against log p(x) = <eta, T(x)> + log h(x) - A(eta)
with T and h written here, the generic entropy and the Bregman KL against the families'
closed forms (to 1e-10 in float64), the KL dispatch (specific pairs win), and the
gradients the Bregman KL passes to q against float64 finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gamma_references import digamma, mvlgamma
from test_tensor_grad import check_grads

import tinygrad_opt as tg
from tinygrad_opt import Tensor
from tinygrad_opt.distributions import (
    Bernoulli,
    Beta,
    Binomial,
    Categorical,
    Chi2,
    ContinuousBernoulli,
    Dirichlet,
    Exponential,
    ExponentialFamily,
    Gamma,
    Geometric,
    Laplace,
    MultivariateNormal,
    Normal,
    Poisson,
    Uniform,
    Wishart,
    kl,
    kl_divergence,
)
from tinygrad_opt.distributions.kl import _kl_expfamily_expfamily


def t64(x) -> Tensor:
    return Tensor(np.asarray(x, dtype=np.float64))


def close(got, want, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(got.data if isinstance(got, Tensor) else got, want,
                               rtol=rtol, atol=atol)


# torch 2.13: the classes of torch.distributions that subclass ExponentialFamily
TORCH_EXP_FAMILIES = {Bernoulli, Beta, Chi2, ContinuousBernoulli, Dirichlet, Exponential,
                      Gamma, Normal, Poisson, Wishart}


def test_the_families_that_subclass_exponential_family_are_torchs():
    import tinygrad_opt.distributions as dists

    families = {getattr(dists, n) for n in dists.__all__
                if isinstance(getattr(dists, n), type)
                and issubclass(getattr(dists, n), dists.Distribution)}
    assert {f for f in families if issubclass(f, ExponentialFamily)} - {ExponentialFamily} \
        == TORCH_EXP_FAMILIES
    for other in (Binomial, Categorical, Geometric, Laplace, MultivariateNormal, Uniform):
        assert not issubclass(other, ExponentialFamily)


V = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 1.5]])

# (distribution, a value x, T(x) as a tuple of arrays, log h(x)) for the density check
CASES = {
    "Normal": (lambda: Normal(t64([1.0, -2.0]), t64([2.0, 0.5])), np.array([0.3, -1.0]),
               lambda x: (x, x * x), lambda x: 0.0),
    "Exponential": (lambda: Exponential(t64([0.5, 3.0])), np.array([1.2, 0.1]),
                    lambda x: (x,), lambda x: 0.0),
    "Gamma": (lambda: Gamma(t64([0.7, 3.0]), t64([2.0, 0.5])), np.array([0.4, 5.0]),
              lambda x: (np.log(x), x), lambda x: 0.0),
    "Chi2": (lambda: Chi2(t64([1.5, 4.0])), np.array([0.4, 5.0]),
             lambda x: (np.log(x), x), lambda x: 0.0),
    "Beta": (lambda: Beta(t64([0.7, 3.0]), t64([2.0, 0.5])), np.array([0.3, 0.9]),
             lambda x: (np.log(x), np.log1p(-x)), lambda x: -np.log(x) - np.log1p(-x)),
    "Bernoulli": (lambda: Bernoulli(t64([0.2, 0.9])), np.array([1.0, 0.0]),
                  lambda x: (x,), lambda x: 0.0),
    "ContinuousBernoulli": (lambda: ContinuousBernoulli(t64([0.2, 0.5, 0.4999, 0.93])),
                            np.array([0.3, 0.7, 0.1, 0.95]), lambda x: (x,), lambda x: 0.0),
    "Dirichlet": (lambda: Dirichlet(t64([[0.7, 2.0, 3.0], [1.0, 1.0, 5.0]])),
                  np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]), lambda x: (np.log(x),),
                  lambda x: -np.log(x).sum(-1)),
    "Poisson": (lambda: Poisson(t64([0.5, 4.0])), np.array([2.0, 3.0]),
                lambda x: (x,), lambda x: -np.array([math.lgamma(k + 1) for k in x])),
    "Wishart": (lambda: Wishart(t64([3.5, 6.0]), t64(V)),
                np.array([V * 2 + np.eye(3), np.eye(3) * 0.7]),
                lambda x: (x, np.linalg.slogdet(x)[1]), lambda x: 0.0),
}


def _inner(eta: np.ndarray, stat: np.ndarray, batch_ndim: int) -> np.ndarray:
    prod = eta * stat
    return prod.reshape(prod.shape[:batch_ndim] + (-1,)).sum(-1)


@pytest.mark.parametrize("name", sorted(CASES))
def test_natural_parameters_and_log_normalizer_give_the_density(name):
    make, x, stats, log_h = CASES[name]
    d = make()
    etas = [eta.data for eta in d._natural_params]
    log_norm = d._log_normalizer(*d._natural_params).data
    batch_ndim = len(d.batch_shape)
    want = sum(_inner(e, s, batch_ndim) for e, s in zip(etas, stats(x))) + log_h(x) - log_norm
    close(d.log_prob(t64(x)), want, rtol=1e-11)


ENTROPY_FAMILIES = ["Normal", "Exponential", "Gamma", "Chi2", "Beta", "Bernoulli",
                    "ContinuousBernoulli", "Dirichlet", "Wishart"]


@pytest.mark.parametrize("name", ENTROPY_FAMILIES)
def test_generic_entropy_matches_the_closed_form(name):
    d = CASES[name][0]()
    generic = ExponentialFamily.entropy(d)
    assert generic.shape == d.batch_shape and generic.dtype == np.float64
    close(generic, d.entropy().data, rtol=1e-10, atol=1e-12)


def test_generic_entropy_broadcasts_batches_and_runs_under_no_grad():
    d = Normal(t64([[0.0], [1.0]]), t64([0.5, 1.0, 2.0]))
    with tg.no_grad():
        generic = ExponentialFamily.entropy(d)
    assert generic.shape == (2, 3)
    close(generic, 0.5 + 0.5 * math.log(2 * math.pi) + np.log(np.array([0.5, 1.0, 2.0]))
          + np.zeros((2, 1)))
    g32 = ExponentialFamily.entropy(Gamma(Tensor([2.0, 3.0]), Tensor([1.0, 0.5])))
    assert g32.dtype == np.float32


def test_poisson_has_no_generic_entropy_as_torch():
    with pytest.raises(NotImplementedError, match="_mean_carrier_measure"):
        Poisson(t64([1.0, 2.0])).entropy()


PAIRS = {
    "Normal": (lambda: Normal(t64([1.0, -2.0]), t64([2.0, 0.5])),
               lambda: Normal(t64(0.3), t64([1.2, 0.9]))),
    "Exponential": (lambda: Exponential(t64([0.5, 3.0])), lambda: Exponential(t64(1.7))),
    "Gamma": (lambda: Gamma(t64([0.7, 3.0]), t64([2.0, 0.5])),
              lambda: Gamma(t64([1.5, 2.0]), t64(1.0))),
    "Chi2": (lambda: Chi2(t64([1.5, 4.0])), lambda: Chi2(t64([3.0, 2.5]))),
    "Beta": (lambda: Beta(t64([0.7, 3.0]), t64([2.0, 0.5])),
             lambda: Beta(t64(1.5), t64([0.8, 4.0]))),
    "Bernoulli": (lambda: Bernoulli(t64([0.2, 0.9])), lambda: Bernoulli(logits=t64([0.4, -1.0]))),
    "ContinuousBernoulli": (lambda: ContinuousBernoulli(t64([0.2, 0.5, 0.8])),
                            lambda: ContinuousBernoulli(t64([0.6, 0.3, 0.5001]))),
    "Dirichlet": (lambda: Dirichlet(t64([0.7, 2.0, 3.0])),
                  lambda: Dirichlet(t64([[1.0, 1.0, 5.0], [2.0, 0.5, 0.9]]))),
    "Poisson": (lambda: Poisson(t64([0.5, 4.0])), lambda: Poisson(t64([2.0, 3.5]))),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_bregman_kl_matches_the_closed_form_kl(name):
    make_p, make_q = PAIRS[name]
    p, q = make_p(), make_q()
    bregman = _kl_expfamily_expfamily(p, q)
    closed = kl_divergence(p, q)
    assert bregman.shape == closed.shape
    close(bregman, closed.data, rtol=1e-10, atol=1e-12)


def wishart_kl(n1: float, v1: np.ndarray, n2: float, v2: np.ndarray) -> float:
    """KL(W(n1, V1) || W(n2, V2)) from E[X] = n1 V1 and E[log|X|] of the first."""
    p = v1.shape[0]
    ratio = np.linalg.solve(v2, v1)
    psi = sum(digamma(n1 / 2 - j / 2) for j in range(p))
    return (-n2 / 2 * np.linalg.slogdet(ratio)[1] + n1 / 2 * (np.trace(ratio) - p)
            + mvlgamma(n2 / 2, p) - mvlgamma(n1 / 2, p) + (n1 - n2) / 2 * psi)


def test_wishart_pairs_use_the_bregman_divergence_per_batch_element():
    # torch 2.13 sums the df term over the whole batch here; each element is its own KL
    v2 = np.array([[1.0, -0.4, 0.0], [-0.4, 2.0, 0.3], [0.0, 0.3, 0.8]])
    p = Wishart(t64([3.5, 6.0]), t64(V))
    q = Wishart(t64([4.0, 7.5]), t64(v2))
    assert kl._dispatch(Wishart, Wishart) is _kl_expfamily_expfamily
    got = kl_divergence(p, q)
    want = [wishart_kl(n1, V, n2, v2) for n1, n2 in ((3.5, 4.0), (6.0, 7.5))]
    close(got, want, rtol=1e-10)


def test_specific_kl_rules_win_over_the_bregman_divergence():
    assert kl._dispatch(Normal, Normal) is kl._kl_normal_normal
    assert kl._dispatch(Chi2, Chi2) is kl._kl_gamma_gamma  # Gamma's rule, nearer than EF's
    assert kl._dispatch(Poisson, Poisson) is kl._kl_poisson_poisson
    assert kl._dispatch(Exponential, Gamma) is not _kl_expfamily_expfamily
    assert kl._dispatch(Normal, Bernoulli) is _kl_expfamily_expfamily


def test_bregman_between_different_families_raises():
    with pytest.raises(NotImplementedError, match="Normal and Bernoulli"):
        kl_divergence(Normal(t64(0.0), t64(1.0)), Bernoulli(t64(0.3)))
    with pytest.raises(NotImplementedError, match="Poisson and Bernoulli") as err:
        _kl_expfamily_expfamily(Poisson(t64(1.0)), Bernoulli(t64(0.3)))
    assert "one exponential family" in str(err.value)


def test_bregman_kl_gradients_reach_q_against_finite_differences():
    p = Gamma(t64([0.7, 3.0]), t64([2.0, 0.5]))
    check_grads(lambda a, b: _kl_expfamily_expfamily(p, Gamma(a, b)),
                np.array([1.5, 2.0]), np.array([1.0, 0.3]))
    pw = Wishart(t64(4.0), t64(V))
    check_grads(lambda df, low: _kl_expfamily_expfamily(
        pw, Wishart(df, scale_tril=low.tril())),
                np.array(5.0), np.linalg.cholesky(V * 0.7), rtol=1e-5)


def test_bregman_kl_leaves_p_detached_as_torch():
    rate = t64([2.0, 0.5])
    rate.requires_grad = True
    out = _kl_expfamily_expfamily(Exponential(rate), Exponential(t64(1.0)))
    assert not out.requires_grad
    close(out, 1.0 / np.array([2.0, 0.5]) - 1 - np.log(1.0 / np.array([2.0, 0.5])))


def test_continuous_bernoulli_log_normalizer_and_its_gradient_for_large_and_tiny_logits():
    from tinygrad_opt.distributions.exp_family import log_normalizer_and_grad

    logits = np.array([-700.0, -3.0, -1e-3, 0.0, 1e-3, 3.0, 700.0])
    d = ContinuousBernoulli(logits=t64(logits))
    want = [math.log(math.expm1(v) / v) if v else 0.0 for v in logits]
    close(d._log_normalizer(t64(logits)), want, rtol=1e-12)
    # grad A = E[x] = 1 / (1 - e^-l) - 1 / l (1/2 at l = 0)
    _, _, (grad,) = log_normalizer_and_grad(d)
    mean = [-1 / math.expm1(-v) - 1 / v if v else 0.5 for v in logits]
    close(grad, mean, rtol=1e-9)
