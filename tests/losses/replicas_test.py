"""`scale_for_replicas` under a 2-replica MirroredStrategy on logical CPUs.

Logical devices must be configured before TensorFlow initializes, so the
check runs in a fresh interpreter and reports back as JSON.
"""

import tensorflow as tf

from cm_zoo.losses import scale_for_replicas
from tests.fresh_process import run_json_script

_SCRIPT = r"""
import json

import tensorflow as tf

(cpu,) = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)
from cm_zoo.losses import scale_for_replicas

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
per_replica = strategy.run(lambda: scale_for_replicas(tf.constant(6.0)))
values = [float(v) for v in strategy.experimental_local_results(per_replica)]
print(json.dumps({"replicas": strategy.num_replicas_in_sync,
                  "values": values}))
"""


def test_identity_with_one_replica():
    assert float(scale_for_replicas(tf.constant(6.0))) == 6.0


def test_divides_by_the_number_of_replicas():
    result = run_json_script(_SCRIPT)
    assert result == {"replicas": 2, "values": [3.0, 3.0]}
