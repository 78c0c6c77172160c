"""StatReg loss under `tf.distribute.MirroredStrategy` on 2 logical CPUs.

Logical devices must be configured before TensorFlow initializes, so the
check runs in a fresh interpreter (`_SCRIPT`) and reports back as JSON.
"""

import numpy as np

from tests.fresh_process import run_json_script

_SCRIPT = r"""
import json
import sys

import tensorflow as tf

(cpu,) = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)
import keras
import numpy as np

from cm_zoo.layers.statreg import DiagonalGMMPrior
from cm_zoo.layers.statreg import GMMStatReg

rng = np.random.default_rng(0)
prior = DiagonalGMMPrior(
    logits=rng.normal(size=3),
    means=rng.normal(size=(3, 4)),
    variances=rng.uniform(0.5, 2.0, size=(3, 4)),
)
x = rng.normal(size=(16, 4)).astype("float32")


def build():
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(
        4, kernel_initializer="identity", name="fc7"
    )(inputs)
    statreg = GMMStatReg(3, weight=0.5, name="statreg")
    model = keras.Model(inputs, statreg(hidden))
    statreg.set_prior(prior)
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    return model


def one_step(strategy):
    with strategy.scope():
        model = build()
    history = model.fit(x, batch_size=16, epochs=1, shuffle=False, verbose=0)
    return history.history["loss"][0], model.get_layer("fc7").kernel.numpy()


mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
single_loss, single_kernel = one_step(tf.distribute.get_strategy())
mirrored_loss, mirrored_kernel = one_step(mirrored)

# Per-replica semantics by hand: each replica adds the mean NLL of its half.
with mirrored.scope():
    layer = GMMStatReg.from_prior(prior, weight=0.5)


def replica_loss(batch):
    layer(batch, training=True)
    return layer.losses[0]


dataset = mirrored.experimental_distribute_dataset(
    tf.data.Dataset.from_tensor_slices(x).batch(16)
)
per_replica = mirrored.run(replica_loss, args=(next(iter(dataset)),))
replica_losses = [
    float(v) for v in mirrored.experimental_local_results(per_replica)
]
json.dump(
    {
        "num_replicas": mirrored.num_replicas_in_sync,
        "single_loss": single_loss,
        "mirrored_loss": mirrored_loss,
        "kernel_change": float(np.abs(single_kernel - np.eye(4)).max()),
        "kernel_difference": float(
            np.abs(single_kernel - mirrored_kernel).max()
        ),
        "replica_losses": replica_losses,
        "global_mean_loss": float(0.5 * -np.mean(prior.log_prob(x))),
    },
    sys.stdout,
)
"""


def test_mirrored_strategy_matches_single_device_global_batch_mean():
    result = run_json_script(_SCRIPT)

    assert result["num_replicas"] == 2
    # The reported loss is the NLL mean over the global batch, as on one
    # device (Keras divides each replica's added loss by the replica count
    # for the gradient sum and multiplies it back for the metric).
    np.testing.assert_allclose(
        result["single_loss"], result["global_mean_loss"], rtol=1e-5
    )
    np.testing.assert_allclose(
        result["mirrored_loss"], result["global_mean_loss"], rtol=1e-5
    )
    # Same update: the summed replica gradients equal the global-mean one.
    assert result["kernel_change"] > 1e-3
    assert result["kernel_difference"] < 1e-6
    # Each replica's own loss is the mean over its half of the batch; their
    # average (what Keras' 1/num_replicas scaling sums to) is the global one.
    assert len(result["replica_losses"]) == 2
    assert result["replica_losses"][0] != result["replica_losses"][1]
    np.testing.assert_allclose(
        np.mean(result["replica_losses"]),
        result["global_mean_loss"],
        rtol=1e-5,
    )
