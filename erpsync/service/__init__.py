"""erpsync as a long-running service: the job kernel every runner shares (``jobs``), the embedded
scheduler of ``erpsync run`` (``scheduler``), and its ``/healthz`` and ``/metrics`` (``endpoints``,
``metrics``)."""
