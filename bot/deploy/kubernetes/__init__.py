"""Kubernetes manifests for the replicated deployment, rendered from values files.

`python -m bot.deploy.kubernetes render --values deploy/kubernetes/values.example.yml` prints them;
docs/kubernetes.md says how to apply them. `values` reads and checks the values and derives every pod's
environment, `workloads` makes the pods' objects, `network` the Services and Ingresses, `render` puts
them in apply order.
"""
