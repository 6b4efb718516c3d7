// What the training loop needs from a model, whichever architecture it is.
import type * as TF from '@tensorflow/tfjs';

export interface TfModel {
  /** Trainable variables, handed to the optimizer. */
  variables: TF.Variable[];
  /** Logits [batch, classes]. `training` uses batch statistics in batch norm (and queues them, see afterStep). */
  forward(x: TF.Tensor, training: boolean): TF.Tensor;
  /** After an optimizer step: folds that step's batch statistics into the running ones (batch norm). */
  afterStep(): void;
  parameterCount: number;
  dispose(): void;
}
