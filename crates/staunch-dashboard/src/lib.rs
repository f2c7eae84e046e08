//! A live dashboard, JSON API, Prometheus metrics and admin actions for staunch breakers.
