  # One srun task per GPU of the node; each worker takes the GPU Slurm assigned to it (gpu-worker.sh).
  srun --ntasks={{workers}} --ntasks-per-node={{workers}} --cpus-per-task={{cpusPerWorker}} --kill-on-bad-exit=0 \
    "$campaign_dir/gpu-worker.sh" "$suite" "$out" "${fedbench[@]}" run --campaign {{campaignQuoted}}{{estimate}} || status=$?
