/* cnnlab — the analyses module: summary, classwise, curves, timing,
 * Part B's occlusion, filters and ablation, and the attributions
 * (saliency, gradcam, integrated-gradients) and their faithfulness. */
#include "analyses.h"

static int analyses_init(struct cnn_registry *registry, struct cnn_error *err)
{
    if (cnn_register_analysis(registry, &analyses_summary_type, err) < 0 ||
        cnn_register_analysis(registry, &analyses_classwise_type, err) < 0 ||
        cnn_register_analysis(registry, &analyses_curves_type, err) < 0 ||
        cnn_register_analysis(registry, &analyses_occlusion_type, err) < 0 ||
        cnn_register_analysis(registry, &analyses_filters_type, err) < 0 ||
        cnn_register_analysis(registry, &analyses_ablation_type, err) < 0 ||
        cnn_register_analysis(registry, &analyses_saliency_type, err) < 0 ||
        cnn_register_analysis(registry, &analyses_gradcam_type, err) < 0 ||
        cnn_register_analysis(registry, &analyses_integrated_gradients_type,
                              err) < 0 ||
        cnn_register_analysis(registry, &analyses_faithfulness_type, err) < 0)
        return -1;
    return cnn_register_analysis(registry, &analyses_timing_type, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR, "analyses", "0.1.0", analyses_init};
