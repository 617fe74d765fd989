// Special functions the calibration needs for its intervals and tests: the
// standard normal and Student t quantiles and the chi-square upper tail. Pure functions,
// thread-safe.
#ifndef RISKD_ENGINE_SPECIAL_FUNCTIONS_H_
#define RISKD_ENGINE_SPECIAL_FUNCTIONS_H_

namespace riskd::engine {

// z with Phi(z) = p, p in (0, 1): Acklam's rational approximation refined by
// one Halley step on erfc, accurate to ~1e-15. NaN outside (0, 1).
double NormalQuantile(double p);

// t with P(T <= t) = p for Student's t with `df` > 0 degrees of freedom,
// by bisection on the CDF (regularized incomplete beta function, Lentz's
// continued fraction); accurate to ~1e-12. NaN outside p in (0, 1).
double StudentTQuantile(double p, double df);

// P(X > x) for X ~ chi-square with `df` > 0 degrees of freedom, through the
// regularized incomplete gamma function Q(df/2, x/2) (series below a + 1,
// Lentz's continued fraction above; relative accuracy ~1e-14). 1 for x <= 0.
double ChiSquareSurvival(double x, double df);

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_SPECIAL_FUNCTIONS_H_
