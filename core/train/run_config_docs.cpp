// run_config_docs.cpp
#include "train/run_config_docs.h"

namespace ft {

const std::vector<RunConfigKeyDoc> &runConfigKeyDocs()
{
    const std::string opt = "Optimisation", eval = "Evaluation and checkpoints", input = "Input and method",
                      device = "Device", distill = "Distillation";
    static const std::vector<RunConfigKeyDoc> docs = {
        {"learning_rate", opt, true, "Peak learning rate of AdamW, reached after the warmup."},
        {"num_train_epochs", opt, true, "Passes over the train split; fractions allowed. Ignored when max_steps > 0."},
        {"max_steps", opt, true, "When > 0, the number of optimiser steps, overriding num_train_epochs."},
        {"per_device_train_batch_size", opt, true, "Examples per forward pass while training."},
        {"per_device_eval_batch_size", opt, true, "Examples per forward pass while evaluating."},
        {"gradient_accumulation_steps", opt, true,
         "Forward passes whose gradients add up to one optimiser step: the effective batch is this times the batch "
         "size."},
        {"warmup_ratio", opt, true, "Warmup as a fraction of all steps: the learning rate rises linearly from 0."},
        {"warmup_steps", opt, true, "Warmup in steps; when > 0 it wins over warmup_ratio."},
        {"weight_decay", opt, true, "AdamW's decoupled weight decay, not applied to biases and LayerNorm weights."},
        {"adam_beta1", opt, true, "AdamW's decay rate of the first moment."},
        {"adam_beta2", opt, true, "AdamW's decay rate of the second moment."},
        {"adam_epsilon", opt, true, "AdamW's term added to the denominator for stability."},
        {"max_grad_norm", opt, true, "Clip the global gradient norm to this; 0 turns clipping off."},
        {"lr_scheduler_type", opt, true, "How the learning rate changes after the warmup.",
         {"linear", "cosine", "constant", "constant_with_warmup"}},
        {"seed", opt, true, "Seeds new weights, dropout and the data order: the same seed gives the same run."},
        {"bf16", opt, true, "bfloat16 autocast: faster on recent CPUs and GPUs, weights stay float32."},
        {"fp16", opt, true, "float16 autocast with dynamic loss scaling; CUDA only."},
        {"eval_strategy", eval, true, "When the validation split is evaluated.", {"no", "steps", "epoch"}},
        {"eval_steps", eval, true, "Steps between evaluations, with eval_strategy \"steps\"."},
        {"save_steps", eval, true, "Steps between checkpoints; 0 saves at each epoch's end."},
        {"save_total_limit", eval, true, "Checkpoints kept (the best is always kept too); 0 keeps all."},
        {"metric_for_best_model", eval, true,
         "The validation metric that picks the best checkpoint (f1, precision and recall are macro averages).",
         {"loss", "accuracy", "f1", "precision", "recall"}},
        {"load_best_model_at_end", eval, true, "End the run with the best checkpoint's weights, not the last."},
        {"group_by_length", opt, true, "Batch examples of similar length together, so batches carry less padding."},
        {"logging_steps", eval, true, "Steps between training-loss points on the charts."},
        {"max_length", input, false, "Tokens per example after truncation, special tokens included."},
        {"padding", input, false, "Pad each batch to its longest example, or every batch to max_length.",
         {"longest", "max_length"}},
        {"task", input, false,
         "classification learns a label per example; causal-lm fine-tunes a language model (Llama, GPT-2) to "
         "answer each example's text (the prompt) with its pair text (the response), the loss on the response only.",
         {"classification", "causal-lm"}},
        {"method", input, false,
         "full trains every weight; lora trains small low-rank adapters and the head; freeze keeps the lowest "
         "layers fixed; adapter trains bottleneck adapters inside every layer and the head; prefix trains keys "
         "and values put before every layer's (PEFT's prefix tuning) and the head; prompt trains embeddings put "
         "before the input's (PEFT's prompt tuning) and the head.",
         {"full", "lora", "freeze", "adapter", "prefix", "prompt"}},
        {"lora_r", input, false, "Rank of the LoRA update: larger learns more and costs more."},
        {"lora_alpha", input, false, "LoRA's scale is lora_alpha / lora_r."},
        {"lora_dropout", input, false, "Dropout on the LoRA branch's input."},
        {"lora_target_modules", input, false, "The linear layers that get adapters; unset, the model family's (query, value for BERT and ViT; q_lin, v_lin for DistilBERT)."},
        {"freeze_layers", input, false,
         "With method freeze: the lowest encoder layers kept fixed, with the embeddings; -1 trains only the head."},
        {"adapter_type", input, false,
         "With method adapter: houlsby puts an adapter after each layer's attention output and feed-forward block, "
         "pfeiffer after the feed-forward block only.",
         {"houlsby", "pfeiffer"}},
        {"adapter_reduction_factor", input, false,
         "With method adapter: the bottleneck is the hidden size divided by this."},
        {"num_virtual_tokens", input, false,
         "With method prefix or prompt: how many virtual tokens are trained (they take positions from max_length's)."},
        {"prefix_projection", input, false,
         "With method prefix: train the prefix through PEFT's two-layer MLP (exported as its output)."},
        {"encoder_hidden_size", input, false, "With method prefix and the projection: the MLP's width; 0 takes the "
                                              "model's hidden size."},
        {"prompt_tuning_init_text", input, false,
         "With method prompt: start the prompt as this text's token embeddings, repeated or cut to "
         "num_virtual_tokens; empty starts it at random."},
        {"early_stopping_patience", eval, false, "Evaluations without improvement before the run stops; 0 never stops early."},
        {"class_weights", opt, false, "balanced weighs each class's loss by n / (classes x its count), for skewed data.",
         {"none", "balanced"}},
        {"distill_teacher_run", distill, false,
         "Id of a completed run of this project whose model teaches this one; 0 trains without a teacher. The "
         "student is the teacher's architecture with student_layers layers, initialised from the teacher's weights."},
        {"distill_temperature", distill, false,
         "Temperature softening the teacher's and the student's logits in the distillation loss."},
        {"distill_alpha", distill, false,
         "Weight of the soft loss (KL divergence to the teacher, times T squared); 1 - alpha weighs the hard labels' "
         "cross-entropy."},
        {"student_layers", distill, false,
         "Encoder layers of the student, copied evenly spaced from the teacher's (the first and last kept); 0 takes "
         "half the teacher's."},
        {"image_random_resized_crop", input, false,
         "Images: train on random crops of 8-100% of each image, resized to the model's input."},
        {"image_horizontal_flip", input, false, "Images: mirror a random half of the training images."},
        {"image_color_jitter", input, false,
         "Images: vary brightness, contrast and saturation by up to this fraction; 0 turns it off."},
        {"device", device, false, "auto takes CUDA when there is a GPU; or cpu, cuda, cuda:N."},
        {"threads", device, false, "CPU cores the run uses; 0 means all but one."},
        {"ddp_timeout", device, false,
         "Data-parallel runs: seconds a worker waits for the others before the run fails."},
    };
    return docs;
}

} // namespace ft
