import pytest
import tensorflow as tf

from cm_zoo import training


def test_default_strategy_is_the_chief_with_one_replica(tmp_path):
    strategy = training.make_strategy("default")
    assert strategy.num_replicas_in_sync == 1
    assert training.is_chief(strategy)
    assert training.worker_directory(tmp_path, strategy) == str(tmp_path)


def test_unknown_strategy_lists_the_choices():
    with pytest.raises(ValueError, match="multiworker"):
        training.make_strategy("horovod")


def test_tpu_without_a_tpu_fails_clearly():
    with pytest.raises(RuntimeError, match="No TPU reachable"):
        training.make_strategy("tpu")


def test_global_batch_must_divide_over_replicas():
    strategy = tf.distribute.get_strategy()
    assert training.per_replica_batch_size(8, strategy) == 8

    class TwoReplicas:
        num_replicas_in_sync = 2

    assert training.per_replica_batch_size(8, TwoReplicas()) == 4
    with pytest.raises(ValueError, match="multiple of the 2 replicas"):
        training.per_replica_batch_size(7, TwoReplicas())
