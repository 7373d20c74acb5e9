"""The core, one subpackage per stage a sample passes through; imports run one way, down this list.

``contract``   the plugin contract: hookspecs, registries, the plugin manager, the grammar, the augmentation
               contract, sample types, errors. Imports nothing else of sttx.
``data``       from a collection row to a batch of features: audio, alphabets, collections, features, the
               tf.data pipeline and its stages, caching, rejects, data check, conversion, importing, play.
``evaluation`` from acoustic outputs to text and error rates: CTC decoding, WER/CER, DeepSpeech's report.
``training``   from batches to a model: config, loop, step, schedules, precision, stopping, checkpoints, warm
               start and transfer, the acoustic weights, evaluating a checkpoint, the main job.
``inference``  from a model to its uses: reference framing, runtimes, transcription, VAD, export and model card.
``tf_runtime`` loads TensorFlow quietly for any stage.
"""
